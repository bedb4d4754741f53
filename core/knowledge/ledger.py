"""The ledger: the store's source of truth, in one small SQLite file beside the Chroma index.

It records every knowledge base, every document (path, content hash) and every chunk's text.
A document's chunk rows are written in ONE transaction after its vectors are in Chroma, so a
document is either wholly in the ledger or not at all; on open, Chroma is reconciled to the
ledger (see `store.py`). Because the chunk text lives here too, the Chroma index can always be
rebuilt, even when a source file has since moved.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

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
    PRIMARY KEY (kb, source, position),
    FOREIGN KEY (kb, source) REFERENCES documents(kb, source) ON DELETE CASCADE
);
CREATE INDEX IF NOT EXISTS chunks_by_id ON chunks(kb, chunk_id);
"""


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


@dataclass(frozen=True, slots=True)
class ChunkRow:
    source: str
    position: int
    chunk_id: str
    heading: str
    location: str
    text: str


class Ledger:
    """Thread-safe access to the ledger file (one connection, serialised by a lock)."""

    def __init__(self, path: Path) -> None:
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=5)
        self._lock = threading.RLock()
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
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
            db.execute("DELETE FROM documents WHERE kb = ?", (name,))
            db.execute("DELETE FROM kbs WHERE name = ?", (name,))

    # Documents and chunks

    def documents(self, kb: str) -> list[DocumentInfo]:
        with self._lock:
            rows = self._db.execute(
                """SELECT d.source, d.sha256, d.title, d.kind, d.size, d.added_at,
                          (SELECT COUNT(*) FROM chunks c WHERE c.kb = d.kb AND c.source = d.source)
                   FROM documents d WHERE d.kb = ? ORDER BY d.source""",
                (kb,),
            ).fetchall()
        return [DocumentInfo(*r) for r in rows]

    def document(self, kb: str, source: str) -> DocumentInfo | None:
        with self._lock:
            row = self._db.execute(
                """SELECT d.source, d.sha256, d.title, d.kind, d.size, d.added_at,
                          (SELECT COUNT(*) FROM chunks c WHERE c.kb = d.kb AND c.source = d.source)
                   FROM documents d WHERE d.kb = ? AND d.source = ?""",
                (kb, source),
            ).fetchone()
        return DocumentInfo(*row) if row else None

    def chunks(self, kb: str, source: str | None = None) -> list[ChunkRow]:
        query = "SELECT source, position, chunk_id, heading, location, text FROM chunks WHERE kb = ?"
        params: tuple[str, ...] = (kb,)
        if source is not None:
            query += " AND source = ?"
            params = (kb, source)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY source, position", params).fetchall()
        return [ChunkRow(*r) for r in rows]

    def chunk_ids(self, kb: str) -> set[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT chunk_id FROM chunks WHERE kb = ?", (kb,)).fetchall()
        return {r[0] for r in rows}

    def chunks_by_id(self, kb: str, chunk_ids: Sequence[str]) -> dict[str, tuple[ChunkRow, str]]:
        """Each id's row and document title; a chunk shared by documents names the oldest one."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        with self._lock:
            rows = self._db.execute(
                f"""SELECT c.source, c.position, c.chunk_id, c.heading, c.location, c.text, d.title
                    FROM chunks c JOIN documents d ON d.kb = c.kb AND d.source = c.source
                    WHERE c.kb = ? AND c.chunk_id IN ({marks})
                    ORDER BY d.added_at DESC, c.position DESC""",
                (kb, *chunk_ids),
            ).fetchall()
        return {r[2]: (ChunkRow(*r[:6]), r[6]) for r in rows}  # later rows (older docs) win

    def commit_document(
        self, kb: str, document: DocumentInfo, chunks: Sequence[ChunkRow]
    ) -> set[str]:
        """Replace a document and its chunks atomically; returns ids no document references anymore."""
        with self._transaction() as db:
            old = {r[0] for r in db.execute(
                "SELECT chunk_id FROM chunks WHERE kb = ? AND source = ?", (kb, document.source)
            )}
            db.execute("DELETE FROM chunks WHERE kb = ? AND source = ?", (kb, document.source))
            db.execute(
                "INSERT OR REPLACE INTO documents VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kb, document.source, document.sha256, document.title, document.kind, document.size,
                 document.added_at),
            )
            db.executemany(
                "INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(kb, c.source, c.position, c.chunk_id, c.heading, c.location, c.text) for c in chunks],
            )
            db.execute("UPDATE kbs SET updated_at = ? WHERE name = ?", (time.time(), kb))
            return self._unreferenced(db, kb, old)

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
        return ids - {r[0] for r in db.execute(query, (kb, *ids))}
