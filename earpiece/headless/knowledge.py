"""The agent reads its knowledge base without owning the store (`KnowledgeReader`, no lock): the
desktop, `earpiece kb add` or a second agent (the supervisor's standby) can have it open too, and a
document added or removed by the owner is searched on the next question."""

from __future__ import annotations

from earpiece.core.knowledge import (
    SAMPLE_KB,
    KnowledgeBaseNotFoundError,
    KnowledgeReader,
    KnowledgeStore,
    ensure_sample_kb,
)
from earpiece.core.settings import KnowledgeSettings

# On the very first run the sample knowledge base is written once; another process may be writing
# it at that moment (e.g. the supervisor's two agents starting together): wait for it.
SAMPLE_WRITE_WAIT_S = 300.0


def open_reader(settings: KnowledgeSettings, kb_name: str) -> KnowledgeReader:
    """A reader of the store; the bundled sample knowledge base is ingested first if it is missing.
    Raises `KnowledgeBaseNotFoundError` (naming the known ones) for another missing base."""
    if kb_name == SAMPLE_KB and not _has_sample(settings):
        store = KnowledgeStore(settings=settings, lock_timeout_s=SAMPLE_WRITE_WAIT_S)
        try:
            ensure_sample_kb(store)
        finally:
            store.close()
    reader = KnowledgeReader(settings=settings)
    try:
        reader.info(kb_name)
    except BaseException:
        reader.close()
        raise
    return reader


def _has_sample(settings: KnowledgeSettings) -> bool:
    try:
        with KnowledgeReader(settings=settings) as reader:
            return SAMPLE_KB in {kb.name for kb in reader.knowledge_bases()}
    except KnowledgeBaseNotFoundError:  # no store at all yet
        return False
