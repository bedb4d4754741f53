"""The ledger: the store's source of truth, in one small SQLite file beside the Chroma index.

It records every knowledge base, every document (path, content hash) and every chunk: its text,
heading, unit kind, screening flags and embedding vector. A document's rows are written in ONE
transaction after its vectors are in Chroma, so a document is either wholly in the ledger or not
at all; on open, Chroma is reconciled to the ledger (see `store.py`). Because text and vectors
live here too, the Chroma index can always be rebuilt, even when a source file has since moved,
and readers in other processes search the ledger's vectors without touching Chroma (`reader.py`).

Every write bumps `generation`, which is how a reader notices that the knowledge changed.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge.errors import KnowledgeBaseNotFoundError

SCHEMA_VERSION = 2  # 1: chunks without kind, flags or vectors

SCHEMA = """
CREATE TABLE IF NOT EXISTS kbs (
    name TEXT PRIMARY KEY,
    collection TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    kb TEXT NOT NULL REFERENCES kbs(name) ON DELETE CASCADE,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    size INTEGER NOT NULL,
    added_at REAL NOT NULL,
    PRIMARY KEY (kb, source)
);
CREATE TABLE IF NOT EXISTS chunks (
    kb TEXT NOT NULL,
    source TEXT NOT NULL,
    position INTEGER NOT NULL,
    chunk_id TEXT NOT NULL,
    heading TEXT NOT NULL,
    location TEXT NOT NULL,
    text TEXT NOT NULL,
    kind TEXT NOT NULL DEFAULT 'text',
    flags TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (kb, source, position),
    FOREIGN KEY (kb, source) REFERENCES documents(kb, source) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks(kb, chunk_id);
CREATE TABLE IF NOT EXISTS vectors (
    kb TEXT NOT NULL,
    chunk_id TEXT NOT NULL,
    embedding BLOB NOT NULL,
    PRIMARY KEY (kb, chunk_id)
);
CREATE TABLE IF NOT EXISTS partial_documents (
    kb TEXT NOT NULL,
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    next_start INTEGER NOT NULL,
    next_position INTEGER NOT NULL,
    heading TEXT NOT NULL,
    PRIMARY KEY (kb, source),
    FOREIGN KEY (kb, source) REFERENCES documents(kb, source) ON DELETE CASCADE
);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
"""
MIGRATE_1_TO_2 = """
ALTER TABLE chunks ADD COLUMN kind TEXT NOT NULL DEFAULT 'text';
ALTER TABLE chunks ADD COLUMN flags TEXT NOT NULL DEFAULT '';
"""
FLAG_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class KnowledgeBaseInfo:
    """Stats of one knowledge base (times are Unix seconds; `chunks` counts distinct passages)."""

    name: str
    collection: str
    created_at: float
    updated_at: float
    documents: int
    chunks: int


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    """One ingested file: its absolute path, content hash, and how many chunks it gave."""

    source: str
    sha256: str
    title: str
    kind: str
    size: int
    added_at: float
    chunks: int
    flagged: int = 0  # units screening held back (never searched); see `Ledger.chunks`
    partial: bool = False  # a streamed file only partly stored so far (adding it again carries on)


@dataclass(frozen=True, slots=True)
class ChunkRow:
    source: str
    position: int
    chunk_id: str
    heading: str
    location: str
    text: str
    kind: UnitKind = UnitKind.TEXT
    flags: tuple[str, ...] = ()  # why screening held the unit back; empty = searchable

    def as_sql(self, kb: str) -> tuple[str | int, ...]:
        return (kb, self.source, self.position, self.chunk_id, self.heading, self.location, self.text,
                str(self.kind), FLAG_SEPARATOR.join(self.flags))

    @classmethod
    def from_sql(cls, row: Sequence[str | int]) -> ChunkRow:
        source, position, chunk_id, heading, location, text, kind, flags = row
        return cls(str(source), int(position), str(chunk_id), str(heading), str(location), str(text),
                   UnitKind(str(kind)), tuple(str(flags).split(FLAG_SEPARATOR)) if flags else ())


@dataclass(frozen=True, slots=True)
class PartialDocument:
    """How far a streamed file got: its segments before `next_start` (a byte offset into the file or
    into a Word file's XML, or a PDF's page index) are stored, as chunks up to `next_position`;
    `heading` is the one the next segment starts under."""

    sha256: str
    next_start: int
    next_position: int
    heading: str


_CHUNK_COLUMNS = "c.source, c.position, c.chunk_id, c.heading, c.location, c.text, c.kind, c.flags"
_DOCUMENT_COLUMNS = """d.source, d.sha256, d.title, d.kind, d.size, d.added_at,
    (SELECT COUNT(*) FROM chunks c WHERE c.kb = d.kb AND c.source = d.source),
    (SELECT COUNT(*) FROM chunks c WHERE c.kb = d.kb AND c.source = d.source AND c.flags != ''),
    EXISTS (SELECT 1 FROM partial_documents p WHERE p.kb = d.kb AND p.source = d.source)"""


def _document(row: Sequence[Any]) -> DocumentInfo:
    source, sha256, title, kind, size, added_at, chunks, flagged, partial = row
    return DocumentInfo(source, sha256, title, kind, size, added_at, chunks, flagged, bool(partial))


class Ledger:
    """Thread-safe access to the ledger file (one connection, serialised by a lock).

    `read_only` opens it with SQLite's `mode=ro`: any number of readers, in any process, alongside
    the one writer (WAL gives each read a consistent snapshot).
    """

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.read_only = read_only
        if read_only:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False,
                                       isolation_level=None, timeout=5)
        else:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5)
        self._lock = threading.RLock()
        self.migrated_from: int | None = None  # the schema version an old ledger was migrated from
        if read_only:
            return
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._migrate()

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        existing = self._db.execute("SELECT name FROM sqlite_master WHERE name = 'chunks'").fetchone()
        if existing is not None and version < 2:
            self._db.executescript(f"BEGIN; {MIGRATE_1_TO_2} COMMIT;")
            self.migrated_from = version or 1
        self._db.executescript(SCHEMA)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def schema_version(self) -> int:
        with self._lock:
            return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def generation(self) -> int:
        """Bumped by every write: a reader that saw another value must re-read what it cached."""
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()
        return int(row[0]) if row else 0

    def setting(self, key: str) -> int | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else None

    def set_setting(self, key: str, value: int) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
                self._db.execute(
                    "INSERT INTO meta VALUES ('generation', 1) "
                    "ON CONFLICT(key) DO UPDATE SET value = value + 1"
                )
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Knowledge bases

    def knowledge_bases(self) -> list[KnowledgeBaseInfo]:
        with self._lock:
            rows = self._db.execute(
                """SELECT k.name, k.collection, k.created_at, k.updated_at,
                          (SELECT COUNT(*) FROM documents d WHERE d.kb = k.name),
                          (SELECT COUNT(DISTINCT c.chunk_id) FROM chunks c WHERE c.kb = k.name)
                   FROM kbs k ORDER BY k.name"""
            ).fetchall()
        return [KnowledgeBaseInfo(*r) for r in rows]

    def knowledge_base(self, name: str) -> KnowledgeBaseInfo | None:
        return next((kb for kb in self.knowledge_bases() if kb.name == name), None)

    def existing(self, name: str) -> KnowledgeBaseInfo:
        """The knowledge base `name`; `KnowledgeBaseNotFoundError` naming the known ones if none."""
        kb = self.knowledge_base(name)
        if kb is None:
            known = ", ".join(k.name for k in self.knowledge_bases()) or "none yet"
            raise KnowledgeBaseNotFoundError(f"There is no knowledge base named {name!r} (known: {known}).")
        return kb

    def collection(self, name: str) -> str | None:
        """The Chroma collection of a knowledge base: the cheap lookup on the search path."""
        with self._lock:
            row = self._db.execute("SELECT collection FROM kbs WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else None

    def add_knowledge_base(self, name: str, collection: str) -> None:
        now = time.time()
        with self._transaction() as db:
            db.execute("INSERT INTO kbs VALUES (?, ?, ?, ?)", (name, collection, now, now))

    def drop_knowledge_base(self, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM chunks WHERE kb = ?", (name,))
            db.execute("DELETE FROM vectors WHERE kb = ?", (name,))
            db.execute("DELETE FROM documents WHERE kb = ?", (name,))
            db.execute("DELETE FROM kbs WHERE name = ?", (name,))

    # Documents and chunks

    def documents(self, kb: str) -> list[DocumentInfo]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents d WHERE d.kb = ? ORDER BY d.source", (kb,)
            ).fetchall()
        return [_document(r) for r in rows]

    def document(self, kb: str, source: str) -> DocumentInfo | None:
        with self._lock:
            row = self._db.execute(
                f"SELECT {_DOCUMENT_COLUMNS} FROM documents d WHERE d.kb = ? AND d.source = ?", (kb, source)
            ).fetchone()
        return _document(row) if row else None

    def chunks(self, kb: str, source: str | None = None) -> list[ChunkRow]:
        query = f"SELECT {_CHUNK_COLUMNS} FROM chunks c WHERE c.kb = ?"
        params: tuple[str, ...] = (kb,)
        if source is not None:
            query += " AND c.source = ?"
            params = (kb, source)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY c.source, c.position", params).fetchall()
        return [ChunkRow.from_sql(r) for r in rows]

    def document_texts(self, kb: str, source: str) -> list[str]:
        """A document's title and the headings and texts of its searchable units."""
        document = self.document(kb, source)
        rows = [r for r in self.chunks(kb, source) if not r.flags]
        return [document.title if document else "", *(f"{r.heading} {r.text}" for r in rows)]

    def chunk_ids(self, kb: str) -> set[str]:
        """The searchable chunks: what the vector index must hold (flagged units never are)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT chunk_id FROM chunks WHERE kb = ? AND flags = ''", (kb,)
            ).fetchall()
        return {r[0] for r in rows}

    def vectors(self, kb: str, chunk_ids: Sequence[str] | None = None) -> dict[str, np.ndarray]:
        """Stored embeddings of searchable chunks (all of the knowledge base's, or those asked for)."""
        query = """SELECT v.chunk_id, v.embedding FROM vectors v WHERE v.kb = ? AND EXISTS
                   (SELECT 1 FROM chunks c WHERE c.kb = v.kb AND c.chunk_id = v.chunk_id AND c.flags = '')"""
        params: tuple[str, ...] = (kb,)
        if chunk_ids is not None:
            query += f" AND v.chunk_id IN ({','.join('?' * len(chunk_ids))})"
            params = (kb, *chunk_ids)
        with self._lock:
            rows = self._db.execute(query, params).fetchall()
        return {r[0]: np.frombuffer(r[1], dtype=np.float32) for r in rows}

    def put_vectors(self, kb: str, vectors: Mapping[str, np.ndarray]) -> None:
        with self._transaction() as db:
            db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                           [(kb, i, v.astype(np.float32).tobytes()) for i, v in vectors.items()])

    def chunks_by_id(self, kb: str, chunk_ids: Sequence[str]) -> dict[str, tuple[ChunkRow, str]]:
        """Each id's row and document title; a chunk shared by documents names the oldest one."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._db.execute(
                f"""SELECT {_CHUNK_COLUMNS}, d.title
                    FROM chunks c JOIN documents d ON d.kb = c.kb AND d.source = c.source
                    WHERE c.kb = ? AND c.chunk_id IN ({marks}) AND c.flags = ''
                    ORDER BY d.added_at DESC, c.position DESC""",
                (kb, *chunk_ids),
            ).fetchall()
        return {r[2]: (ChunkRow.from_sql(r[:8]), r[8]) for r in rows}  # later rows (older docs) win

    def commit_documents(
        self, kb: str, documents: Sequence[tuple[DocumentInfo, Sequence[ChunkRow], Mapping[str, np.ndarray]]],
    ) -> set[str]:
        """Replace documents, their chunks and their new vectors in one transaction; returns ids no
        document references anymore (their vectors are gone with them)."""
        with self._transaction() as db:
            old: set[str] = set()
            for document, chunks, vectors in documents:
                old |= self._write(db, kb, document, chunks, vectors, first=True, remaining=None)
            return self._unreferenced(db, kb, old)

    def partial(self, kb: str, source: str) -> PartialDocument | None:
        """Set while a streamed file is only partly stored (an interrupted add resumes from it)."""
        with self._lock:
            row = self._db.execute(
                "SELECT sha256, next_start, next_position, heading FROM partial_documents "
                "WHERE kb = ? AND source = ?", (kb, source)
            ).fetchone()
        return PartialDocument(*row) if row else None

    def commit_segment(
        self, kb: str, document: DocumentInfo, chunks: Sequence[ChunkRow], vectors: Mapping[str, np.ndarray],
        *, first: bool, remaining: PartialDocument | None,
    ) -> set[str]:
        """Store one segment of a streamed document atomically. The `first` replaces the document's
        earlier version; `remaining` says where the next segment starts (None: the document is whole).
        Returns the chunk ids no document references anymore."""
        with self._transaction() as db:
            old = self._write(db, kb, document, chunks, vectors, first=first, remaining=remaining)
            return self._unreferenced(db, kb, old)

    @staticmethod
    def _write(
        db: sqlite3.Connection, kb: str, document: DocumentInfo, chunks: Sequence[ChunkRow],
        vectors: Mapping[str, np.ndarray], *, first: bool, remaining: PartialDocument | None,
    ) -> set[str]:
        """One document or segment, inside the caller's transaction; returns the ids it replaced."""
        old: set[str] = set()
        if first:
            old = {r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE kb = ? AND source = ?", (kb, document.source)
            )}
            db.execute("DELETE FROM chunks WHERE kb = ? AND source = ?", (kb, document.source))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kb, document.source, document.sha256, document.title, document.kind, document.size,
                 document.added_at),
            )
        db.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       [c.as_sql(kb) for c in chunks])
        db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                       [(kb, i, v.astype(np.float32).tobytes()) for i, v in vectors.items()])
        if remaining is None:
            db.execute("DELETE FROM partial_documents WHERE kb = ? AND source = ?", (kb, document.source))
        else:
            db.execute("INSERT OR REPLACE INTO partial_documents VALUES (?, ?, ?, ?, ?, ?)",
                       (kb, document.source, remaining.sha256, remaining.next_start,
                        remaining.next_position, remaining.heading))
        db.execute("UPDATE kbs SET updated_at = ? WHERE name = ?", (time.time(), kb))
        return old

    def remove_document(self, kb: str, source: str) -> set[str]:
        """Delete a document; returns the chunk ids no other document references."""
        with self._transaction() as db:
            old = {r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE kb = ? AND source = ?", (kb, source)
            )}
            db.execute("DELETE FROM chunks WHERE kb = ? AND source = ?", (kb, source))
            db.execute("DELETE FROM documents WHERE kb = ? AND source = ?", (kb, source))
            db.execute("UPDATE kbs SET updated_at = ? WHERE name = ?", (time.time(), kb))
            return self._unreferenced(db, kb, old)

    @staticmethod
    def _unreferenced(db: sqlite3.Connection, kb: str, ids: set[str]) -> set[str]:
        if not ids:
            return set()
        marks = ",".join("?" * len(ids))
        query = f"SELECT DISTINCT chunk_id FROM chunks WHERE kb = ? AND chunk_id IN ({marks})"
        gone = ids - {r[0] for r in db.execute(query, (kb, *ids))}
        if gone:
            marks = ",".join("?" * len(gone))
            db.execute(f"DELETE FROM vectors WHERE kb = ? AND chunk_id IN ({marks})", (kb, *gone))
        return gone
