"""The bundled sample knowledge base (a fictional appliance maker's support FAQ and policies)."""

from __future__ import annotations

import threading
from pathlib import Path

from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.errors import KnowledgeBaseNotFoundError, KnowledgeError
from earpiece.core.knowledge.ledger import KnowledgeBaseInfo
from earpiece.core.knowledge.progress import ProgressCallback
from earpiece.core.knowledge.reader import KnowledgeReader
from earpiece.core.knowledge.remote import RemoteReader
from earpiece.core.knowledge.store import KnowledgeStore
from earpiece.core.paths import resources_dir
from earpiece.core.settings import KnowledgeSettings

SAMPLE_KB = "sample"
FILLED = "sample_kb_filled"  # the store's marker: the sample knowledge base was filled completely


def sample_folder() -> Path:
    return resources_dir() / "kb" / SAMPLE_KB


def ensure_sample_kb(
    store: KnowledgeStore | KnowledgeReader, progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
) -> KnowledgeBaseInfo:
    """Create and fill the sample knowledge base unless the store has it already (first run, demo).

    Setting `cancel` (the desktop quitting) stops the filling at the next step; the files stored
    so far stay, and the next call fills in the rest. A reader cannot create it: it says who can.
    """
    missing = SAMPLE_KB not in {kb.name for kb in store.knowledge_bases()}
    if isinstance(store, KnowledgeReader):
        if missing:
            raise KnowledgeError(
                f"The sample knowledge base is not in {store.root} yet, and another process owns the "
                "store; it is added the first time the store is opened for writing."
            )
        return store.info(SAMPLE_KB)
    if missing:
        store.create(SAMPLE_KB)
        store.set_marker(FILLED, False)
    # False: new, or its filling was cancelled. None: a store older than the marker, which has it whole.
    if store.marker(FILLED) is False:
        report = store.add(SAMPLE_KB, [sample_folder()], progress, cancel)
        if report.failed:
            errors = "; ".join(r.error for r in report.failed)
            raise KnowledgeError(f"The bundled sample knowledge base did not ingest: {errors}")
        if not report.cancelled:
            store.set_marker(FILLED, True)
    return store.info(SAMPLE_KB)


# The store is opened for writing only when a reader cannot serve: on the very first run (the sample
# knowledge base is ingested) or after an upgrade (opening it brings the store up to date). Another
# process may be doing the same at that moment (the supervisor's two agents start together): wait
# for it rather than fail.
WRITER_WAIT_S = 300.0


def open_reader(
    kb_name: str, *, settings: KnowledgeSettings | None = None, root: Path | None = None,
    embedder: MiniLmEmbedder | None = None, writer_wait_s: float = WRITER_WAIT_S,
) -> KnowledgeReader | RemoteReader:
    """What a process that only answers (`earpiece agent`, `earpiece ask`) should hold: a reader,
    which never takes the writer's lock and sees every change the owner commits.

    With `knowledge.index_url` set (and no `root` given) it is a `RemoteReader` of that Chroma
    server, which an admin's store on another machine fills; nothing is opened locally.

    The store is opened for writing (waiting up to `writer_wait_s` for another writer) only when a
    reader cannot serve: the bundled sample knowledge base is asked for and missing (or there is no
    store yet), or the store was written by an older version or is being created right now.
    Raises `KnowledgeBaseNotFoundError` naming the known knowledge bases for any other missing name.
    """
    if settings is not None and settings.index_url and root is None:
        remote = RemoteReader(settings.index_url, settings=settings, embedder=embedder)
        try:
            remote.info(kb_name)
        except BaseException:
            remote.close()
            raise
        return remote
    try:
        return _reader(kb_name, settings, root, embedder)
    except KnowledgeBaseNotFoundError:
        if kb_name != SAMPLE_KB:
            raise
    except KnowledgeError:  # an older format, or a store another process is creating now
        pass
    with KnowledgeStore(root, settings=settings, embedder=embedder, lock_timeout_s=writer_wait_s) as store:
        if kb_name == SAMPLE_KB:
            ensure_sample_kb(store)
    return _reader(kb_name, settings, root, embedder)


def _reader(
    kb_name: str, settings: KnowledgeSettings | None, root: Path | None, embedder: MiniLmEmbedder | None
) -> KnowledgeReader:
    try:
        reader = KnowledgeReader(root, settings=settings, embedder=embedder)
    except KnowledgeBaseNotFoundError as exc:  # no store at all: name the knowledge base asked for
        raise KnowledgeBaseNotFoundError(f"There is no knowledge base named {kb_name!r}: {exc}") from None
    try:
        reader.info(kb_name)
    except BaseException:
        reader.close()
        raise
    return reader
