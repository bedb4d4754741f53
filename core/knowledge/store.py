"""The knowledge store: several named knowledge bases in one folder, owned by one process.

Layout of the folder (by default `data_dir()/knowledge`):
- `ledger.sqlite3`: the source of truth (knowledge bases, documents, chunk texts), see `ledger.py`;
- `chroma/`: the vector index, rebuildable from the ledger and the files;
- `store.lock` + `owner.json`: single-process ownership, and a marker that says the last owner
  did not close cleanly (then the index is health-checked in a child process and reconciled).

Write order for one document: vectors into Chroma, then the ledger transaction (the commit point),
then deletion of chunks nothing references anymore. Reconciliation on open removes whatever Chroma
holds beyond the ledger and re-embeds whatever it lacks, so a kill at any instant leaves whole
documents only.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from earpiece.core.interfaces import Passage
from earpiece.core.knowledge.chunking import Chunk, chunk_blocks, embedding_text
from earpiece.core.knowledge.codes import asked_codes
from earpiece.core.knowledge.embedding import (
    MiniLmEmbedder,
    MiniLmEmbeddingFunction,
    background_pool,
    lower_priority,
)
from earpiece.core.knowledge.embedding_queue import EmbeddingQueue, QueuedFile
from earpiece.core.knowledge.errors import (
    DocumentError,
    DocumentNotFoundError,
    InvalidNameError,
    KnowledgeBaseExistsError,
    StoreBusyError,
)
from earpiece.core.knowledge.handle import GenerationCache, KnowledgeHandle
from earpiece.core.knowledge.index import ChromaIndex, probe_index
from earpiece.core.knowledge.ledger import ChunkRow, DocumentInfo, KnowledgeBaseInfo, Ledger, PartialDocument
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.parsing import ParserProcess
from earpiece.core.knowledge.progress import (
    FileResult,
    IngestReport,
    Outcome,
    Progress,
    ProgressCallback,
)
from earpiece.core.knowledge.readers import ParsedDocument
from earpiece.core.knowledge.screening import phone_numbers, screen
from earpiece.core.knowledge.search import SearchResult, coded_passages, ledger_code_index, passages
from earpiece.core.knowledge.vocabulary import document_words, extract_vocabulary
from earpiece.core.paths import data_dir
from earpiece.core.settings import KnowledgeSettings

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 64
EMBED_STEP = 128  # passages per embedding step at most: one index write, then the commits
EMBED_LEAST = 16  # passages that keep both cores busy: tinier files wait to share a step
# How documents are cut into units and screened; a store written by an older version is re-read
# (every knowledge base rebuilt from its files) the first time its index is opened. 3: a unit without
# a heading is embedded with its document's title, which enters its id (`chunk_id`). 4: a bare figure
# is one unit with the words that go on from it ("$6.67" + "/user/month billed annually"). 5: a short
# plain-text line with a sentence ending inside is prose, not a heading.
UNITS_VERSION = 5
# How passages are embedded (2: the int8 weights multiplied in int8, see `int8_matmul.py`); a store
# embedded otherwise has its passages embedded again from the ledger's text the first time it opens.
EMBEDDING_VERSION = 2


class IngestCancelled(Exception):
    """Raised between embedding batches when the running ingest was asked to stop."""


@dataclass(frozen=True, slots=True)
class _Read:
    """A file read by the parser process: its first segment if it streams, else all its passages."""

    sha: str
    size: int
    previous: DocumentInfo | None
    resume: PartialDocument | None
    parsed: ParsedDocument
    chunks: list[Chunk]

    @property
    def streamed(self) -> bool:
        return self.resume is not None or self.parsed.next_start is not None


@dataclass(slots=True)
class _Run:
    """One `add` (or rebuild) in progress: what it knows of the index and how far it got."""

    kb: KnowledgeBaseInfo
    files: Sequence[Path]
    progress: ProgressCallback | None
    index: ChromaIndex
    known: set[str]  # ids the index holds for committed documents
    numbers: dict[str, set[str]] = field(default_factory=dict)  # phone numbers per document (screening)
    titles: dict[str, str] = field(default_factory=dict)  # the titles of the files read, by source
    results: dict[int, FileResult] = field(default_factory=dict)  # by place in `files`
    current: str | None = None
    committed: int = 0  # new passages committed
    embedded: int = 0  # passages embedded (and in the index)

    def report(self, message: str = "") -> None:
        if self.progress:
            self.progress(Progress(len(self.results), len(self.files), self.current, self.committed, message))


def default_store_path() -> Path:
    return data_dir() / "knowledge"


def collection_name(kb_name: str) -> str:
    """A valid, stable Chroma collection name for any knowledge-base name (3-512 of [a-zA-Z0-9._-])."""
    slug = re.sub(r"[^a-z0-9]+", "-", kb_name.lower()).strip("-")[:40].strip("-")
    digest = hashlib.sha1(kb_name.encode()).hexdigest()[:8]
    return f"kb-{slug}-{digest}" if slug else f"kb-{digest}"


def validate_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise InvalidNameError("A knowledge base needs a name.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise InvalidNameError(f"Knowledge-base names are at most {MAX_NAME_CHARS} characters.")
    if any(not c.isprintable() for c in cleaned):
        raise InvalidNameError("Knowledge-base names cannot contain control characters.")
    return cleaned


def chunk_id(chunk: Chunk, title: str = "") -> str:
    """Same embedded text -> same id, so duplicate passages collapse into one vector (a unit without a
    heading is embedded with its document's `title`, so the same one in two documents is two)."""
    key = re.sub(r"\s+", " ", embedding_text(chunk.heading, chunk.text, title)).strip().lower()
    return hashlib.sha256(key.encode()).hexdigest()[:32]


class KnowledgeStore(KnowledgeHandle):
    """Open (and own) a store; use as a context manager or call `close()`.

    Raises `StoreBusyError` if another process (or another `KnowledgeStore` in this one) has it.
    All methods are thread-safe; writes are serialised, searches run alongside them.
    """

    def __init__(
        self,
        root: Path | None = None,
        *,
        settings: KnowledgeSettings | None = None,
        embedder: MiniLmEmbedder | None = None,
        lock_timeout_s: float = 1.0,
        limits: IngestLimits | None = None,
    ) -> None:
        self.root = root if root is not None else default_store_path()
        self.root.mkdir(parents=True, exist_ok=True)
        super().__init__(settings, embedder)
        self.limits = limits or self._settings.limits
        self._parser = ParserProcess(self.limits)
        self._pool = background_pool()  # ingestion's embedding threads (threads start on first use)
        # `add` runs here, at the embedding threads' lower priority (as do the threads it starts), so a
        # live call in this process keeps the cores; the caller's own thread keeps its priority.
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="ingest", initializer=lower_priority)
        self._file_lock = FileLock(self.root / "store.lock", timeout=lock_timeout_s)
        try:
            self._file_lock.acquire()
        except Timeout:
            raise StoreBusyError(self._busy_message()) from None
        owner = self.root / "owner.json"
        self._unclean = owner.exists()
        try:
            owner.write_text(json.dumps({"pid": os.getpid(), "since": time.time()}))
            self._ledger = Ledger(self.root / "ledger.sqlite3")
        except BaseException:
            self._file_lock.release()
            raise
        self._index: ChromaIndex | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.RLock()
        # kb -> words; (kb, source) -> words; kb -> code -> unit ids: each until the knowledge base changes
        self._vocabulary: GenerationCache[str, list[str]] = GenerationCache()
        self._words: GenerationCache[tuple[str, str], frozenset[str]] = GenerationCache()
        self._codes: GenerationCache[str, dict[str, tuple[str, ...]]] = GenerationCache()
        self._cancel: threading.Event | None = None  # the running `add`'s cancel request
        self.recovery_notes: list[str] = []  # what reconciliation repaired on open (for logs and UI)
        self._closed = False

    def _busy_message(self) -> str:
        try:
            pid = json.loads((self.root / "owner.json").read_text())["pid"]
            who = f"another Earpiece process (pid {pid})"
        except (OSError, ValueError, KeyError, TypeError):
            who = "another Earpiece process"
        return (
            f"The knowledge store {self.root} is in use by {who}. Only one process can own it: "
            "close the other one (the desktop app or another `earpiece kb` command) and try again."
        )

    # Lifecycle

    def close(self) -> None:
        """Close the store; a running `add` is cancelled first (its committed files stay)."""
        if self._closed:
            return
        self._closed = True  # a running add sees it at its next step and stops
        with self._write_lock:
            self._parser.close()
            self._worker.shutdown(cancel_futures=True)
            self._pool.shutdown(cancel_futures=True)
            if self._index is not None:
                self._index.close()
            self._ledger.close()
            (self.root / "owner.json").unlink(missing_ok=True)
            self._file_lock.release()

    @property
    def index(self) -> ChromaIndex:
        """The Chroma index, opened on first use: health-checked after an unclean exit, then reconciled."""
        embedder = self.embedder
        with self._open_lock:
            opened = self._index is None
            if self._index is None:
                self._index = self._open_index(embedder)
            index = self._index
        if opened and self._ledger.setting("units_version") != UNITS_VERSION:
            self._recut_units()
        elif opened and self._ledger.setting("embedding_version") != EMBEDDING_VERSION:
            self._reembed(index)
        return index

    def _reembed(self, index: ChromaIndex) -> None:
        """Embed every passage again from the ledger's text (no file is re-read): the embedder changed,
        and a question must be compared with passages embedded the same way."""
        with self._write_lock:
            for kb in self._ledger.knowledge_bases():
                rows = [r for r in self._ledger.chunks(kb.name) if not r.flags]
                vectors = self._embed_rows(index, self.embedder, kb.collection, rows, self._titles(kb.name))
                self._ledger.put_vectors(kb.name, vectors)
                self._note(f"{kb.name}: embedded its {len(vectors)} passages again (the way passages are "
                           "embedded changed).")
            self._ledger.set_setting("embedding_version", EMBEDDING_VERSION)

    def _recut_units(self) -> None:
        """Re-read every knowledge base written by an older version, so it gets today's answer units."""
        with self._write_lock:
            for kb in self._ledger.knowledge_bases():
                report = self.rebuild(kb.name)
                self._note(f"{kb.name}: re-read {len(report.results)} documents into answer units "
                           f"(the store was written by an older version).")
            self._ledger.set_setting("units_version", UNITS_VERSION)
            self._ledger.set_setting("embedding_version", EMBEDDING_VERSION)  # rebuilt: embedded anew

    def _open_index(self, embedder: MiniLmEmbedder) -> ChromaIndex:
        path = self.root / "chroma"
        problem = probe_index(path) if self._unclean else None
        for attempt in range(2):
            if problem:
                aside = path.with_name(f"chroma.damaged-{int(time.time())}")
                shutil.move(path, aside)
                self._note(f"The vector index was damaged ({problem}); moved it to {aside.name} "
                           "and rebuilt it from the ledger.")
            index: ChromaIndex | None = None
            try:
                function = MiniLmEmbeddingFunction(embedder)
                index = ChromaIndex(path, function, mirror_url=self._settings.index_url)
                self._reconcile(index, embedder)
                return index
            except Exception as exc:
                if index is not None:
                    index.close()  # or Chroma would hand the same broken system to the retry
                if attempt or not path.exists():
                    raise
                problem = f"{type(exc).__name__}: {exc}"
        raise AssertionError("unreachable")

    def _titles(self, kb: str) -> dict[str, str]:
        """Each committed document's title, by source (a unit without a heading is embedded with it)."""
        return {d.source: d.title for d in self._ledger.documents(kb)}

    def _note(self, message: str) -> None:
        self.recovery_notes.append(message)
        log.warning(message)

    def _reconcile(self, index: ChromaIndex, embedder: MiniLmEmbedder) -> None:
        knowledge_bases = self._ledger.knowledge_bases()
        for stray in index.collections() - {kb.collection for kb in knowledge_bases}:
            index.drop(stray)
            self._note(f"Removed the index of a dropped knowledge base ({stray}).")
        for kb in knowledge_bases:
            in_index, in_ledger = index.ids(kb.collection), self._ledger.chunk_ids(kb.name)
            extra, missing = sorted(in_index - in_ledger), in_ledger - in_index
            if extra:
                index.delete(kb.collection, extra)
                self._note(f"{kb.name}: removed {len(extra)} uncommitted passages (an interrupted write).")
            if missing:
                rows = [r for r in self._ledger.chunks(kb.name) if r.chunk_id in missing and not r.flags]
                stored = self._ledger.vectors(kb.name, sorted(missing))
                self._embed_rows(index, embedder, kb.collection, rows, self._titles(kb.name), stored=stored)
                self._note(f"{kb.name}: re-indexed {len(missing)} passages from the ledger.")

    # Knowledge bases

    def knowledge_bases(self) -> list[KnowledgeBaseInfo]:
        return self._ledger.knowledge_bases()

    def info(self, name: str) -> KnowledgeBaseInfo:
        return self._ledger.existing(name)

    def create(self, name: str) -> KnowledgeBaseInfo:
        name = validate_name(name)
        with self._write_lock:
            if self._ledger.knowledge_base(name) is not None:
                raise KnowledgeBaseExistsError(f"A knowledge base named {name!r} already exists.")
            if not self._ledger.knowledge_bases():  # a store's first knowledge base: cut the current way
                self._ledger.set_setting("units_version", UNITS_VERSION)
                self._ledger.set_setting("embedding_version", EMBEDDING_VERSION)
            self._ledger.add_knowledge_base(name, collection_name(name))
        return self.info(name)

    def drop(self, name: str) -> None:
        with self._write_lock:
            kb = self.info(name)
            index = self.index
            self._ledger.drop_knowledge_base(name)  # commit point; a stray collection is reconciled away
            index.drop(kb.collection)
            self._vocabulary.forget(name)
            self._codes.forget(name)

    def marker(self, key: str) -> bool | None:
        """A yes/no the store keeps for its users (None: never set)."""
        value = self._ledger.setting(key)
        return None if value is None else bool(value)

    def set_marker(self, key: str, value: bool) -> None:
        self._ledger.set_setting(key, int(value))

    def documents(self, name: str) -> list[DocumentInfo]:
        self.info(name)
        return self._ledger.documents(name)

    def chunks(self, name: str, source: str | None = None) -> list[ChunkRow]:
        self.info(name)
        return self._ledger.chunks(name, source)

    # Ingestion

    def add(
        self, name: str, paths: Iterable[Path | str], progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Ingest files and folders (recursively). Per-file failures are reported, not raised.

        Setting `cancel` stops the run at the next embedding step: the files queued for embedding and
        not committed yet are dropped (their vectors removed), the committed ones stay, the rest are
        CANCELLED; a streamed file keeps its committed segments. The work runs on the store's worker
        thread at nice 10; the calling thread waits.
        """
        started = time.perf_counter()
        with self._write_lock:
            kb = self.info(name)
            report = IngestReport()
            files, missing = _expand(paths)
            report.results.extend(
                FileResult(str(p), Outcome.FAILED, error=f"{p}: no such file or folder") for p in missing
            )
            self._cancel = cancel or threading.Event()
            try:
                self._worker.submit(self._ingest_files, kb, files, report, progress).result()
            finally:
                self._cancel = None
        report.seconds = time.perf_counter() - started
        return report

    def _ingest_files(
        self, kb: KnowledgeBaseInfo, files: Sequence[Path], report: IngestReport,
        progress: ProgressCallback | None, *, reread: bool = False,
    ) -> None:
        """The next file is read (in the parser process) while the passages of the ones before it are
        embedded; small files share embedding steps (see `embedding_queue.py`), a big one streams."""
        run = _Run(kb, files, progress, self.index, self._ledger.chunk_ids(kb.name))
        for row in self._ledger.chunks(kb.name):
            run.numbers.setdefault(row.source, set()).update(phone_numbers(f"{row.heading} {row.text}"))
        queue = EmbeddingQueue(functools.partial(self._embed_step, run),
                               functools.partial(self._commit_queued, run), EMBED_STEP, EMBED_LEAST)
        try:
            for number, path, read in self._read_ahead(run, reread):
                if self._cancelled():
                    raise IngestCancelled
                run.current = str(path)
                run.report()
                if isinstance(read, FileResult):
                    run.results[number] = read
                elif read.streamed:
                    queue.flush()  # a file's segments are committed in order, after the files before it
                    run.results[number] = self._stream_run(run, path, read)
                    if run.results[number].outcome is Outcome.CANCELLED:
                        raise IngestCancelled
                elif isinstance(item := self._queued_file(run, number, path, read, reread), FileResult):
                    run.results[number] = item
                else:
                    queue.put(item)
            queue.flush()
        except IngestCancelled:
            stray = sorted(queue.embedded_ids() - run.known)  # in the index, their files not committed
            if stray:
                run.index.delete(kb.collection, stray)
        results = [run.results.get(n) or FileResult(str(p), Outcome.CANCELLED) for n, p in enumerate(files)]
        for result in results:
            report.results.append(result)
            report.warnings.extend(result.warnings)
            if result.outcome is Outcome.FAILED:
                log.warning("Not ingested: %s", result.error)
        stopped = report.count(Outcome.CANCELLED)
        report.cancelled = stopped > 0
        if progress:
            note = "cancelled" if stopped else ""
            progress(Progress(len(files) - stopped, len(files), None, run.committed, note))

    def _cancelled(self) -> bool:
        """The running `add` was asked to stop, or the store is closing (the app quits)."""
        return self._cancel is not None and (self._cancel.is_set() or self._closed)

    def _read_ahead(self, run: _Run, reread: bool) -> Iterator[tuple[int, Path, _Read | FileResult]]:
        """Each file read (hashed, parsed, cut) on a thread while the caller works on the one before."""
        kb, files = run.kb, run.files
        with ThreadPoolExecutor(1, thread_name_prefix="read") as reader:
            ahead = reader.submit(self._read_file, kb, files[0], reread) if files else None
            for number, path in enumerate(files):
                assert ahead is not None
                if not ahead.done():  # name the file while it is read (a long PDF's first pages)
                    run.current = str(path)
                    run.report("reading")
                read = ahead.result()
                if number + 1 < len(files):
                    ahead = reader.submit(self._read_file, kb, files[number + 1], reread)
                yield number, path, read

    def _read_file(self, kb: KnowledgeBaseInfo, path: Path, reread: bool) -> _Read | FileResult:
        """One file, up to its passages (or its first segment); `reread`: even if its content is unchanged."""
        source = str(path)
        try:
            with path.open("rb") as file:
                sha = hashlib.file_digest(file, "sha256").hexdigest()
            size = path.stat().st_size
            previous = self._ledger.document(kb.name, source)
            partial = self._ledger.partial(kb.name, source)
            if previous is not None and previous.sha256 == sha and not reread and partial is None:
                return FileResult(source, Outcome.UNCHANGED, previous.chunks)
            resume = partial if partial is not None and partial.sha256 == sha and not reread else None
            parsed = (self._parser.parse(path, resume.next_start, resume.heading) if resume
                      else self._parser.parse(path))
            streamed = resume is not None or parsed.next_start is not None
            return _Read(sha, size, previous, resume, parsed, [] if streamed else chunk_blocks(parsed.blocks))
        except DocumentError as exc:
            return FileResult(source, Outcome.FAILED, error=str(exc))
        except OSError as exc:
            error = f"{path}: cannot read the file: {exc.strerror or exc}"
            return FileResult(source, Outcome.FAILED, error=error)
        except Exception as exc:  # a reader library choking on a malformed file must not stop the run
            log.exception("Reading %s failed", path)
            error = f"{path}: could not be read ({type(exc).__name__}: {exc})"
            return FileResult(source, Outcome.FAILED, error=error)

    def _queued_file(
        self, run: _Run, number: int, path: Path, read: _Read, reread: bool
    ) -> QueuedFile | FileResult:
        """A whole file's rows, screened against the other documents, to wait for its vectors."""
        source = str(path)
        elsewhere = set().union(*(n for s, n in run.numbers.items() if s != source))
        rows = _screened_rows(source, read.chunks, elsewhere, read.parsed.title)
        run.titles[source] = read.parsed.title
        previous = read.previous
        if previous is not None and reread and previous.sha256 == read.sha and rows == self._ledger.chunks(
            run.kb.name, source
        ):
            return FileResult(source, Outcome.UNCHANGED, previous.chunks)
        run.numbers[source] = set().union(*(phone_numbers(embedding_text(r.heading, r.text)) for r in rows))
        fresh = _fresh(rows, run.known)
        document = DocumentInfo(source, read.sha, read.parsed.title, read.parsed.kind, read.size, time.time(),
                                len(rows))
        outcome = Outcome.ADDED if previous is None else Outcome.UPDATED
        return QueuedFile(number, path, document, rows, fresh, outcome, tuple(read.parsed.problems))

    def _embed_step(self, run: _Run, rows: Sequence[ChunkRow]) -> dict[str, np.ndarray]:
        vectors = self._embed_rows(run.index, self.embedder, run.kb.collection, rows, run.titles)
        run.embedded += len(vectors)
        run.report(f"{run.embedded} passages embedded")
        return vectors

    def _commit_queued(self, run: _Run, items: Sequence[QueuedFile]) -> None:
        """The commit point of whole files (one ledger transaction), then their unreferenced vectors go."""
        orphans = self._ledger.commit_documents(run.kb.name, [(i.document, i.rows, i.vectors) for i in items])
        if orphans:
            run.index.delete(run.kb.collection, sorted(orphans))
        for item in items:
            run.known.update(r.chunk_id for r in item.rows if not r.flags)
            flagged = [r for r in item.rows if r.flags]
            if flagged:
                log.warning("%s: %d unit(s) held back by screening: %s", item.path, len(flagged),
                            "; ".join(f"{r.text[:60]!r} ({', '.join(r.flags)})" for r in flagged))
            run.committed += item.new
            run.results[item.number] = FileResult(
                str(item.path), item.outcome, len(item.rows), item.new, flagged=len(flagged),
                warnings=item.warnings,
            )
        run.known.difference_update(orphans)

    def _stream_run(self, run: _Run, path: Path, read: _Read) -> FileResult:
        source = str(path)
        elsewhere = set().union(*(n for s, n in run.numbers.items() if s != source))
        outcome = Outcome.ADDED if read.previous is None or read.resume is not None else Outcome.UPDATED
        result = self._stream_file(run.kb, path, read, (run.index, run.known, elsewhere),
                                   (run.progress, len(run.results), len(run.files), run.committed), outcome)
        run.committed += result.new_chunks
        return result

    def _stream_file(
        self, kb: KnowledgeBaseInfo, path: Path, read: _Read, state: tuple[ChromaIndex, set[str], set[str]],
        run: tuple[ProgressCallback | None, int, int, int], outcome: Outcome,
    ) -> FileResult:
        """A big file, segment by segment (`read.parsed` is the first one to store): each is cut, embedded
        and committed before the next is read, and the ledger records how far the file got (a byte
        offset, or a PDF's page), so an interrupted add resumes there. The next segment is read (in the
        parser process) while this one is embedded. `state`: the index, the ids it holds, the phone
        numbers of other documents (for screening)."""
        sha, parsed, resume = read.sha, read.parsed, read.resume
        progress, done, total, committed = run
        index, known, elsewhere = state
        source, started = str(path), time.perf_counter()
        position, first = (resume.next_position, False) if resume else (0, True)
        begun_at = resume.next_start if resume else 0
        # A resumed file's first segment, and with it its title, was stored by the interrupted run.
        stored = self._ledger.document(kb.name, source) if resume else None
        title = stored.title if stored else parsed.title
        new_chunks = flagged = 0
        problems: list[str] = []
        with ThreadPoolExecutor(1, thread_name_prefix="read") as reader:
            while True:
                problems.extend(parsed.problems)
                upcoming = None if parsed.next_start is None else reader.submit(
                    self._parser.parse, path, parsed.next_start, parsed.last_heading)
                start = parsed.next_start if parsed.next_start is not None else parsed.total
                rows = _screened_rows(source, chunk_blocks(parsed.blocks), elsewhere, title, position)
                fresh = _fresh(rows, known)
                rate = (start - begun_at) / max(time.perf_counter() - started, 1e-3)
                left = f", about {_duration((parsed.total - start) / rate)} left" if start > begun_at else ""
                how_far = (f"{start} of {parsed.total} pages read" if parsed.kind == "pdf"
                           else f"{start / 1e6:.1f} of {parsed.total / 1e6:.1f} MB read")
                status = f"{how_far}{left}, {position} stored"
                if progress:
                    progress(Progress(done, total, source, committed + new_chunks, status))

                def report_embedding(
                    n: int, status: str = status, stored: int = committed + new_chunks, todo: int = len(fresh)
                ) -> None:
                    if progress:
                        progress(Progress(done, total, source, stored + n, f"{status}, embedding {n}/{todo}"))

                try:
                    vectors = self._embed_rows(index, self.embedder, kb.collection, fresh, {source: title},
                                               report_embedding)
                except IngestCancelled:
                    index.delete(kb.collection, [r.chunk_id for r in fresh])  # this segment was not committed
                    return FileResult(source, Outcome.CANCELLED, position, new_chunks)
                remaining = None if parsed.next_start is None else PartialDocument(
                    sha, parsed.next_start, position + len(rows), parsed.last_heading)
                document = DocumentInfo(source, sha, title, parsed.kind, read.size, time.time(), 0)
                orphans = self._ledger.commit_segment(kb.name, document, rows, vectors, first=first,
                                                      remaining=remaining)
                if orphans:
                    index.delete(kb.collection, sorted(orphans))
                known.difference_update(orphans)
                known.update(r.chunk_id for r in rows if not r.flags)
                first, position = False, position + len(rows)
                new_chunks += len(fresh)
                flagged += sum(1 for r in rows if r.flags)
                if progress:
                    progress(Progress(done, total, source, committed + new_chunks,
                                      f"{how_far}, {position} stored"))
                if upcoming is None:
                    return FileResult(source, outcome, position, new_chunks, flagged=flagged,
                                      warnings=tuple(problems))
                if self._cancelled():
                    return FileResult(source, Outcome.CANCELLED, position, new_chunks)
                try:
                    parsed = upcoming.result()
                except DocumentError as exc:
                    return FileResult(source, Outcome.FAILED, position, new_chunks,
                                      error=f"{exc} ({position} passages before it were stored; adding the "
                                            "file again carries on from there)")

    def _embed_rows(
        self, index: ChromaIndex, embedder: MiniLmEmbedder, collection: str, rows: Sequence[ChunkRow],
        titles: Mapping[str, str], on_step: Callable[[int], None] | None = None,
        stored: dict[str, np.ndarray] | None = None,
    ) -> dict[str, np.ndarray]:
        """Embed the rows (or take their `stored` vectors) into the index, each with its document's title
        from `titles` (by source); returns the vectors by id."""
        rows = list({r.chunk_id: r for r in rows}.values())  # a shared passage is one vector
        stored = stored or {}
        done: dict[str, np.ndarray] = {}
        for start in range(0, len(rows), EMBED_STEP):
            if self._cancelled():
                raise IngestCancelled
            batch = rows[start : start + EMBED_STEP]
            todo = [r for r in batch if r.chunk_id not in stored]
            texts = [embedding_text(r.heading, r.text, titles.get(r.source, "")) for r in todo]
            fresh = embedder.embed(texts, self._pool)
            by_id = {**{r.chunk_id: stored[r.chunk_id] for r in batch if r.chunk_id in stored},
                     **dict(zip((r.chunk_id for r in todo), fresh, strict=True))}
            vectors = np.stack([by_id[r.chunk_id] for r in batch])
            index.upsert(
                collection, [r.chunk_id for r in batch], vectors, [r.text for r in batch],
                [{"source": r.source, "heading": r.heading, "location": r.location, "position": r.position,
                  "kind": str(r.kind)} for r in batch],
            )
            done.update(by_id)
            if on_step is not None:
                on_step(start + len(batch))
        return done

    def remove(self, name: str, document: str) -> DocumentInfo:
        """Delete a document by its path (as listed by `documents`) or by its unique file name."""
        with self._write_lock:
            kb = self.info(name)
            found = self._find_document(kb.name, document)
            index = self.index  # opened (and reconciled) before the ledger changes
            orphans = self._ledger.remove_document(kb.name, found.source)
            if orphans:
                index.delete(kb.collection, sorted(orphans))
            return found

    def _find_document(self, kb: str, document: str) -> DocumentInfo:
        candidates = self._ledger.documents(kb)
        wanted = {document, str(Path(document).expanduser().resolve())}
        exact = [d for d in candidates if d.source in wanted]
        by_name = [d for d in candidates if Path(d.source).name == document]
        matches = exact or by_name
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise DocumentNotFoundError(
                f"{kb!r} has no document {document!r}; see `earpiece kb docs --kb {kb}`."
            )
        listing = ", ".join(d.source for d in matches)
        raise DocumentNotFoundError(f"{document!r} matches several documents ({listing}); give the path.")

    def rebuild(self, name: str, progress: ProgressCallback | None = None) -> IngestReport:
        """Re-read every recorded source file, then recreate the vector index from the ledger.

        A file that is gone (or now unreadable) keeps its last ingested text, with a warning.
        """
        started = time.perf_counter()
        with self._write_lock:
            kb = self.info(name)
            report = IngestReport()
            sources = [Path(d.source) for d in self._ledger.documents(kb.name)]
            present = [p for p in sources if p.is_file()]
            report.warnings.extend(
                f"{p} is gone; kept the text ingested earlier." for p in sources if not p.is_file()
            )
            self._ingest_files(kb, present, report, progress, reread=True)
            report.warnings.extend(f"{r.error}; kept the text ingested earlier." for r in report.failed)
            index = self.index
            index.drop(kb.collection)
            rows = [r for r in self._ledger.chunks(kb.name) if not r.flags]
            total = len({r.chunk_id for r in rows})

            def report_embedding(n: int) -> None:
                if progress:
                    progress(Progress(len(present), len(present), None, n, f"re-indexing {n}/{total}"))

            vectors = self._embed_rows(index, self.embedder, kb.collection, rows, self._titles(kb.name),
                                       report_embedding)
            self._ledger.put_vectors(kb.name, vectors)
            self._vocabulary.forget(name)
            self._codes.forget(name)
        report.seconds = time.perf_counter() - started
        return report

    # Retrieval

    def search(self, name: str, query: str, k: int = 3) -> SearchResult:
        """Top-k passages, best first; `score` is the cosine similarity clamped to [0, 1]."""
        started = time.perf_counter()
        collection = self._ledger.collection(name)
        if collection is None:
            self.info(name)  # raises, listing the known names
        if not query.strip() or k <= 0 or collection is None:
            return SearchResult([], 0.0, 0.0, 0.0)
        vector = self.embedder.embed([query])[0]
        embedded = time.perf_counter()
        hits = self.index.query(collection, vector, k)
        queried = time.perf_counter()
        found = passages(self._ledger, name, hits)
        finished = time.perf_counter()
        return SearchResult(
            found,
            embed_ms=(embedded - started) * 1000,
            query_ms=(queried - embedded) * 1000,
            total_ms=(finished - started) * 1000,
        )

    def vocabulary(self, name: str, limit: int = 60) -> list[str]:
        """Distinctive domain words of a knowledge base (cached until it changes)."""
        kb = self.info(name)

        def work_out() -> list[str]:  # not headings: Title Case misleads
            return extract_vocabulary([r.text for r in self._ledger.chunks(name) if not r.flags], limit=200)

        return self._vocabulary.get(name, kb.updated_at, work_out)[:limit]

    def coded(self, name: str, query: str) -> list[Passage]:
        """The units holding a code the query names ("error code E4"; see `codes`), best first, with
        their cosine to the query. The index is cached until the knowledge base changes."""
        if not asked_codes(query):
            return []
        kb = self.info(name)
        index = self._codes.get(name, kb.updated_at, lambda: ledger_code_index(self._ledger, name))
        return coded_passages(self._ledger, name, index, query, self.embedder.embed)

    def document_words(self, name: str, source: str) -> frozenset[str]:
        """Every word of one document (`Passage.source`), lower-cased; see `vocabulary.document_words`.
        Empty for a document the knowledge base does not hold. Cached until the knowledge base changes."""
        kb = self.info(name)
        return self._words.get((name, source), kb.updated_at,
                               lambda: document_words(self._ledger.document_texts(name, source)))


def _screened_rows(
    source: str, chunks: Sequence[Chunk], elsewhere: set[str], title: str, offset: int = 0
) -> list[ChunkRow]:
    """Ledger rows of a document's (or segment's) chunks, each screened against other documents' numbers."""
    return [
        ChunkRow(source, offset + c.position, chunk_id(c, title), c.heading, c.location, c.text, c.kind,
                 tuple(screen(embedding_text(c.heading, c.text), elsewhere)))
        for c in chunks
    ]


def _fresh(rows: Sequence[ChunkRow], known: set[str]) -> list[ChunkRow]:
    """The searchable rows whose passages the index does not hold yet, one per id."""
    return list({r.chunk_id: r for r in rows if r.chunk_id not in known and not r.flags}.values())


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _expand(paths: Iterable[Path | str]) -> tuple[list[Path], list[Path]]:
    """Files (folders walked recursively, hidden entries skipped), de-duplicated; and missing paths."""
    files: dict[Path, None] = {}
    missing = []
    for raw in paths:
        path = Path(raw).expanduser()
        with contextlib.suppress(OSError):
            path = path.resolve()
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(part.startswith(".") for part in child.relative_to(path).parts)
                if child.is_file() and not hidden:
                    files[child] = None
        elif path.is_file():
            files[path] = None
        else:
            missing.append(path)
    return list(files), missing
