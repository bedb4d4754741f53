"""Answering from a knowledge base whose index lives on a Chroma server (`chroma run`), for agents
on machines other than the admin's.

The admin's store keeps its ledger and index in its own folder and, with `knowledge.index_url`
set, copies every index write to the server (`ChromaIndex(mirror_url=...)`). An agent elsewhere
sets the same `knowledge.index_url` and holds a `RemoteReader`: the question is embedded here with
the bundled MiniLM, the server returns the nearest passages with their text and metadata
(`kind`, `heading`, `source`), and nothing else is needed. Units held back by screening are
never written to the index, so they are not on the server either. Each search asks the server
afresh, so an added or removed document is answered from (or not) on the next question.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from chromadb.errors import NotFoundError

from earpiece.core.interfaces import Passage, UnitKind
from earpiece.core.knowledge.codes import asked_codes, code_index, coded_hits
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.errors import KnowledgeBaseNotFoundError, KnowledgeError
from earpiece.core.knowledge.handle import GenerationCache, KnowledgeHandle
from earpiece.core.knowledge.index import GENERATION, PAGE, connect
from earpiece.core.knowledge.search import SearchResult
from earpiece.core.knowledge.store import collection_name
from earpiece.core.knowledge.vocabulary import document_words, extract_vocabulary
from earpiece.core.settings import KnowledgeSettings


class RemoteReader(KnowledgeHandle):
    """Searches the knowledge bases a store serves through a Chroma server at `url`."""

    def __init__(
        self, url: str, *, settings: KnowledgeSettings | None = None, embedder: MiniLmEmbedder | None = None
    ) -> None:
        self.url = url
        self._client = connect(url)
        super().__init__(settings, embedder)
        # kb -> words; kb -> code -> unit ids; (kb, source) -> words: each at the collection's generation
        self._vocabulary: GenerationCache[str, list[str]] = GenerationCache()
        self._codes: GenerationCache[str, dict[str, tuple[str, ...]]] = GenerationCache()
        self._words: GenerationCache[tuple[str, str], frozenset[str]] = GenerationCache()

    def close(self) -> None:
        self._client.close()  # type: ignore[attr-defined]  # Client has it; ClientAPI does not say

    def _collection(self, name: str) -> Any:
        """Looked up on every use: a rebuild on the admin's side replaces the collection."""
        try:
            return self._client.get_collection(collection_name(name), embedding_function=None)
        except httpx.TransportError as exc:  # the next question tries again: no restart needed
            raise KnowledgeError(
                f"The Chroma server {self.url} (knowledge.index_url) does not answer: {exc}"
            ) from exc
        except NotFoundError:
            served = len(self._client.list_collections())
            raise KnowledgeBaseNotFoundError(
                f"There is no knowledge base named {name!r} on the Chroma server {self.url} "
                f"(it serves {served}); the admin's store copies a knowledge base there once "
                "knowledge.index_url is set on that machine too."
            ) from None

    def info(self, name: str) -> int:
        """The number of passages served for `name`; raises `KnowledgeBaseNotFoundError`."""
        return int(self._collection(name).count())

    def search(self, name: str, query: str, k: int = 3) -> SearchResult:
        """Top-k passages, best first, as `KnowledgeStore.search` gives them (titles are the unit's
        heading or location: the document's title stays in the admin's ledger)."""
        started = time.perf_counter()
        collection = self._collection(name)
        if not query.strip() or k <= 0:
            return SearchResult([], 0.0, 0.0, 0.0)
        vector = self.embedder.embed([query])[0]
        embedded = time.perf_counter()
        found = collection.query(
            query_embeddings=vector[None, :], n_results=k, include=["documents", "metadatas", "distances"]
        )
        queried = time.perf_counter()
        passages = [
            _passage(chunk_id, text, metadata or {}, distance)
            for chunk_id, text, metadata, distance in zip(
                found["ids"][0], found["documents"][0], found["metadatas"][0], found["distances"][0],
                strict=True,
            )
        ]
        finished = time.perf_counter()
        return SearchResult(passages, (embedded - started) * 1000, (queried - embedded) * 1000,
                            (finished - started) * 1000)

    def vocabulary(self, name: str, limit: int = 60) -> list[str]:
        """Distinctive words of the served passages, re-read when the admin's store changes them."""
        collection = self._collection(name)

        def work_out() -> list[str]:
            return extract_vocabulary((t for _, t, _ in _served(collection)), limit=200)

        # Asked on every question: a collection without the stamp keeps its vocabulary as first read
        # rather than being read whole each time (a stale vocabulary only weakens name matching).
        stamp = (collection.metadata or {}).get(GENERATION)
        return self._vocabulary.get(name, stamp, work_out)[:limit]

    def coded(self, name: str, query: str) -> list[Passage]:
        """The units holding a code the query names (see `KnowledgeStore.coded`), re-read when the
        admin's store changes the collection."""
        if not asked_codes(query):
            return []
        collection = self._collection(name)

        def work_out() -> dict[str, tuple[str, ...]]:
            return code_index((i, str(m.get("source", "")), f"{m.get('heading', '')} {t}")
                              for i, t, m in _served(collection))

        index = self._codes.get(name, collection_generation(collection), work_out)
        units: dict[str, tuple[str, dict[str, Any]]] = {}

        def stored(ids: list[str]) -> dict[str, np.ndarray]:
            """The units' vectors, keeping their text and metadata for the passages."""
            got = collection.get(ids=ids, include=["embeddings", "documents", "metadatas"])
            vectors = {}
            for i, vector, text, metadata in zip(got["ids"], got["embeddings"], got["documents"],
                                                 got["metadatas"], strict=True):
                vectors[i] = np.asarray(vector, dtype=np.float32)
                units[i] = (text, dict(metadata or {}))
            return vectors

        hits = coded_hits(index, query, stored, self.embedder.embed)
        return [_passage(i, *units[i], distance) for i, distance in hits if i in units]

    def document_words(self, name: str, source: str) -> frozenset[str]:
        """Every word of one document's served passages and their headings, lower-cased (see
        `KnowledgeStore.document_words`; the title stays in the admin's ledger). Read once per
        document until the admin's store changes the collection (its generation), as the answerer
        asks for each retrieved document on every question."""
        collection = self._collection(name)

        def work_out() -> frozenset[str]:
            found = collection.get(where={"source": source}, include=["documents", "metadatas"])
            return document_words(f"{(m or {}).get('heading', '')} {t}"
                                  for t, m in zip(found["documents"], found["metadatas"], strict=True))

        return self._words.get((name, source), collection_generation(collection), work_out)


def collection_generation(collection: Any) -> object:
    """The admin store's generation stamped on the collection. Without one a change cannot be told:
    a new object, equal to no generation kept, so what is worked out from the collection is read again."""
    return (collection.metadata or {}).get(GENERATION) or object()


def _served(collection: Any) -> list[tuple[str, str, dict[str, Any]]]:
    """Every unit the collection serves: (id, text, metadata), read a page at a time."""
    units: list[tuple[str, str, dict[str, Any]]] = []
    for offset in range(0, collection.count(), PAGE):
        page = collection.get(include=["documents", "metadatas"], limit=PAGE, offset=offset)
        units += [(i, t, dict(m or {})) for i, t, m in zip(page["ids"], page["documents"], page["metadatas"],
                                                         strict=True)]
    return units


def _passage(chunk_id: str, text: str, metadata: dict[str, Any], distance: float) -> Passage:
    heading = str(metadata.get("heading", ""))
    title = " — ".join(str(p) for p in (metadata.get("title"), heading or metadata.get("location")) if p)
    source = str(metadata.get("source", ""))
    return Passage(
        text=text,
        source=source,
        title=title or Path(source).name,
        score=min(1.0, max(0.0, 1.0 - distance)),
        chunk_id=chunk_id,
        heading=heading,
        kind=UnitKind(str(metadata.get("kind", UnitKind.TEXT))),
    )
