"""The bundled sample knowledge base (a fictional appliance maker's support FAQ and policies)."""

from __future__ import annotations

from pathlib import Path

from earpiece.core.knowledge.errors import KnowledgeError
from earpiece.core.knowledge.ledger import KnowledgeBaseInfo
from earpiece.core.knowledge.progress import ProgressCallback
from earpiece.core.knowledge.reader import KnowledgeReader
from earpiece.core.knowledge.store import KnowledgeStore
from earpiece.core.paths import resources_dir

SAMPLE_KB = "sample"


def sample_folder() -> Path:
    return resources_dir() / "kb" / SAMPLE_KB


def ensure_sample_kb(
    store: KnowledgeStore | KnowledgeReader, progress: ProgressCallback | None = None
) -> KnowledgeBaseInfo:
    """Create and fill the sample knowledge base unless the store has it already (first run, demo).

    A reader cannot create it: it says who can.
    """
    if SAMPLE_KB not in {kb.name for kb in store.knowledge_bases()}:
        if isinstance(store, KnowledgeReader):
            raise KnowledgeError(
                f"The sample knowledge base is not in {store.root} yet, and another process owns the "
                "store; it is added the first time the store is opened for writing."
            )
        store.create(SAMPLE_KB)
        report = store.add(SAMPLE_KB, [sample_folder()], progress)
        if report.failed:
            errors = "; ".join(r.error for r in report.failed)
            raise KnowledgeError(f"The bundled sample knowledge base did not ingest: {errors}")
    return store.info(SAMPLE_KB)
