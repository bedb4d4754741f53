"""The bundled sample knowledge base (a fictional appliance maker's support FAQ and policies)."""

from __future__ import annotations

from pathlib import Path

from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.errors import KnowledgeBaseNotFoundError, KnowledgeError
from earpiece.core.knowledge.ledger import KnowledgeBaseInfo
from earpiece.core.knowledge.progress import ProgressCallback
from earpiece.core.knowledge.reader import KnowledgeReader
from earpiece.core.knowledge.store import KnowledgeStore
from earpiece.core.paths import resources_dir
from earpiece.core.settings import KnowledgeSettings

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


def open_reader(
    kb_name: str, *, settings: KnowledgeSettings | None = None, root: Path | None = None,
    embedder: MiniLmEmbedder | None = None,
) -> KnowledgeReader:
    """What a process that only answers (`earpiece agent`, `earpiece ask`) should hold: a reader,
    which never takes the writer's lock and sees every change the owner commits.

    The bundled sample knowledge base is ingested first if it is the one asked for and is missing
    (or the store does not exist yet); only that takes the writer's lock, for the ingest alone.
    Raises `KnowledgeBaseNotFoundError` naming the known knowledge bases for any other missing name.
    """
    if kb_name == SAMPLE_KB:
        try:
            with KnowledgeReader(root, settings=settings, embedder=embedder) as reader:
                present = SAMPLE_KB in {kb.name for kb in reader.knowledge_bases()}
        except KnowledgeBaseNotFoundError:  # no store yet
            present = False
        if not present:
            with KnowledgeStore(root, settings=settings, embedder=embedder) as store:
                ensure_sample_kb(store)
    reader = KnowledgeReader(root, settings=settings, embedder=embedder)
    try:
        reader.info(kb_name)
    except KnowledgeError:
        reader.close()
        raise
    return reader
