"""The Chroma side of the store: one persistent client, one cosine collection per knowledge base,
and optionally a `chroma run` server that gets every write too (several machines, one knowledge base).

Vectors are always computed by our embedder and passed in, and every collection is opened with
our embedding function, so Chroma never reaches for its downloading default.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
import numpy as np
from chromadb.api import ClientAPI

from earpiece.core.knowledge.embedding import DIMENSIONS, MiniLmEmbeddingFunction
from earpiece.core.knowledge.errors import KnowledgeError

ADD_BATCH = 1000  # below chromadb's max batch size
PAGE = 5000
GENERATION = "generation"  # a served collection's metadata: changes on every write (readers' caches)


def chroma_settings() -> chromadb.Settings:
    return chromadb.Settings(anonymized_telemetry=False, allow_reset=False)


def connect(url: str) -> ClientAPI:
    """A client of a `chroma run` server at `url` (http://host:port, or https://)."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise KnowledgeError(
            f"knowledge.index_url {url!r} is not an http://host:port address of a Chroma server."
        )
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=chroma_settings()
        )
    except ValueError as exc:  # chromadb's "Could not connect to a Chroma server"
        raise KnowledgeError(
            f"No Chroma server answers at {url} (knowledge.index_url): start it there with "
            f"`chroma run --path FOLDER --host {parts.hostname} --port {port}`, or clear the setting. ({exc})"
        ) from None


class Collections:
    """One cosine collection per knowledge base, in one Chroma client (a folder, or a server)."""

    def __init__(self, client: ClientAPI, embedding_function: MiniLmEmbeddingFunction) -> None:
        self._client = client
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
            page = collection.get(include=[], limit=PAGE, offset=offset)
            found.update(page["ids"])
            offset += PAGE
        return found

    def count(self, name: str) -> int:
        return int(self._collection(name).count())

    def entries(
        self, name: str, ids: Sequence[str]
    ) -> tuple[list[str], np.ndarray, list[str], list[dict[str, Any]]]:
        """(ids, vectors, texts, metadatas) of the given ids."""
        got = self._collection(name).get(ids=list(ids), include=["embeddings", "documents", "metadatas"])
        vectors = np.asarray(got["embeddings"], dtype=np.float32).reshape(-1, DIMENSIONS)
        return list(got["ids"]), vectors, list(got["documents"]), [dict(m) for m in got["metadatas"]]

    def upsert(
        self, name: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
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

    def stamp(self, name: str) -> None:
        """Mark the collection changed, so readers elsewhere refresh what they cache from it."""
        self._collection(name).modify(metadata={GENERATION: time.time_ns()})

    def query(self, name: str, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """(chunk id, cosine distance) pairs, nearest first."""
        collection = self._collection(name)
        result = collection.query(query_embeddings=vector[None, :], n_results=k, include=["distances"])
        return list(zip(result["ids"][0], (float(d) for d in result["distances"][0]), strict=True))


class ChromaIndex(Collections):
    """The store's index in its own folder; with `mirror_url`, every write also goes to that Chroma
    server, which answering agents on other machines read (`RemoteReader`). Opening brings the
    server up to date with the folder (it may have been down, or new), so the folder stays the truth.
    """

    def __init__(
        self, path: Path, embedding_function: MiniLmEmbeddingFunction, *, mirror_url: str = ""
    ) -> None:
        try:
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings())
        except Exception:
            _forget_system(path)
            raise
        super().__init__(client, embedding_function)
        self.mirror: Collections | None = None
        if mirror_url:
            try:
                self.mirror = Collections(connect(mirror_url), embedding_function)
                copy_index(self, self.mirror)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        if self.mirror is not None:
            self.mirror.close()
        super().close()

    def drop(self, name: str) -> None:
        super().drop(name)
        if self.mirror is not None:
            self.mirror.drop(name)

    def upsert(
        self, name: str, ids: Sequence[str], vectors: np.ndarray, texts: Sequence[str],
        metadatas: Sequence[Mapping[str, Any]],
    ) -> None:
        super().upsert(name, ids, vectors, texts, metadatas)
        if self.mirror is not None:
            self.mirror.upsert(name, ids, vectors, texts, metadatas)
            self.mirror.stamp(name)

    def delete(self, name: str, ids: Sequence[str]) -> None:
        super().delete(name, ids)
        if self.mirror is not None:
            self.mirror.delete(name, ids)
            self.mirror.stamp(name)


def copy_index(source: Collections, target: Collections) -> int:
    """Make `target` hold what `source` holds (ids are content hashes: same id, same passage);
    returns how many passages were copied."""
    local = source.collections()
    for stray in target.collections() - local:
        target.drop(stray)
    copied = 0
    for name in local:
        want, have = source.ids(name), target.ids(name)
        extra, missing = sorted(have - want), sorted(want - have)
        if extra:
            target.delete(name, extra)
        for i in range(0, len(missing), ADD_BATCH):
            target.upsert(name, *source.entries(name, missing[i : i + ADD_BATCH]))
        copied += len(missing)
        target.stamp(name)
    return copied


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
