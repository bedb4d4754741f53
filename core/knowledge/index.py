"""The Chroma side of the store: one persistent client, one cosine collection per knowledge base.

Vectors are always computed by our embedder and passed in, and every collection is opened with
our embedding function, so Chroma never reaches for its downloading default.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import chromadb
import numpy as np

from earpiece.core.knowledge.embedding import DIMENSIONS, MiniLmEmbeddingFunction

ADD_BATCH = 1000  # below chromadb's max batch size


def chroma_settings() -> chromadb.Settings:
    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


class ChromaIndex:
    def __init__(self, path: Path, embedding_function: MiniLmEmbeddingFunction) -> None:
        try:
            self._client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
        except Exception:
            _forget_system(path)
            raise
        self._ef = embedding_function
        self._open: dict[str, Any] = {}

    def close(self) -> None:
        self._client.close()  # type: ignore[attr-defined]  # Client has it; ClientAPI does not say

    def _collection(self, name: str) -> Any:
        if name not in self._open:
            self._open[name] = self._client.get_or_create_collection(
                name,
                embedding_function=self._ef,  # type: ignore[arg-type]
                configuration={"hnsw": {"space": "cosine"}},
            )
        return self._open[name]

    def collections(self) -> set[str]:
        return {c.name for c in self._client.list_collections()}

    def drop(self, name: str) -> None:
        self._open.pop(name, None)
        if name in self.collections():
            self._client.delete_collection(name)

    def ids(self, name: str) -> set[str]:
        collection = self._collection(name)
        total, found, offset = collection.count(), set(), 0
        while offset < total:
            page = collection.get(include=[], limit=5000, offset=offset)
            found.update(page["ids"])
            offset += 5000
        return found

    def count(self, name: str) -> int:
        return int(self._collection(name).count())

    def upsert(
        self, name: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
        metadatas: Sequence[dict[str, str | int]],
    ) -> None:
        collection = self._collection(name)
        for i in range(0, len(ids), ADD_BATCH):
            j = i + ADD_BATCH
            collection.upsert(
                ids=list(ids[i:j]), embeddings=vectors[i:j], documents=list(texts[i:j]),
                metadatas=[dict(m) for m in metadatas[i:j]],
            )

    def delete(self, name: str, ids: Sequence[str]) -> None:
        collection = self._collection(name)
        for i in range(0, len(ids), ADD_BATCH):
            collection.delete(ids=list(ids[i : i + ADD_BATCH]))

    def query(self, name: str, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) pairs, nearest first."""
        collection = self._collection(name)
        result = collection.query(query_embeddings=vector[None, :], n_results=k, include=["distances"])
        return list(zip(result["ids"][0], (float(d) for d in result["distances"][0]), strict=True))


def _forget_system(path: Path) -> None:
    """Chroma caches one System per folder, even one that failed to open; drop it so a retry starts afresh.

    (Chroma has no public call for one folder; `clear_system_cache()` would break other live clients.)
    """
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)


PROBE = """
import sys, chromadb
client = chromadb.PersistentClient(path=sys.argv[1], settings=chromadb.Settings(anonymized_telemetry=False))
for collection in client.list_collections():
    c = client.get_collection(collection.name, embedding_function=None)
    if c.count():
        c.query(query_embeddings=[[1.0] + [0.0] * (int(sys.argv[2]) - 1)], n_results=1, include=[])
"""


def probe_index(path: Path, timeout_s: float = 120.0) -> str | None:
    """Open the index in a child process (a damaged HNSW file can crash its reader); None if healthy."""
    if not path.exists():
        return None
    try:
        done = subprocess.run(
            [sys.executable, "-c", PROBE, str(path), str(DIMENSIONS)],
            capture_output=True, text=True, timeout=timeout_s, check=False,
        )
    except subprocess.TimeoutExpired:
        return f"the index did not open within {timeout_s:.0f} s"
    if done.returncode == 0:
        return None
    tail = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
    return f"the index failed to open ({tail})"
