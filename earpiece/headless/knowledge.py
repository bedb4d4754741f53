"""The agent reads its knowledge base without owning the store (`KnowledgeReader`, no lock): the
desktop, `earpiece kb add` or a second agent (the supervisor's spare) can have it open too, and a
document added or removed by the owner is searched on the next question."""

from __future__ import annotations

from earpiece.core.knowledge import (
    SAMPLE_KB,
    KnowledgeBaseNotFoundError,
    KnowledgeError,
    KnowledgeReader,
    KnowledgeStore,
    ensure_sample_kb,
)
from earpiece.core.settings import KnowledgeSettings

# The store is opened for writing only when a reader cannot serve: on the very first run (the sample
# knowledge base is ingested) or after an upgrade (opening it brings it up to date). Another process
# may be doing the same at that moment (the supervisor's two agents start together): wait for it.
WRITER_WAIT_S = 300.0


def open_reader(settings: KnowledgeSettings, kb_name: str) -> KnowledgeReader:
    """A reader of `kb_name`. Raises `KnowledgeBaseNotFoundError` (naming the known ones) when it is
    not the bundled sample and does not exist."""
    try:
        return _reader(settings, kb_name)
    except KnowledgeBaseNotFoundError:
        if kb_name != SAMPLE_KB:
            raise
    except KnowledgeError:  # written by an older version, or being created by another process now
        pass
    store = KnowledgeStore(settings=settings, lock_timeout_s=WRITER_WAIT_S)
    try:
        if kb_name == SAMPLE_KB:
            ensure_sample_kb(store)
    finally:
        store.close()
    return _reader(settings, kb_name)


def _reader(settings: KnowledgeSettings, kb_name: str) -> KnowledgeReader:
    reader = KnowledgeReader(settings=settings)
    try:
        reader.info(kb_name)
    except BaseException:
        reader.close()
        raise
    return reader
