"""A reader of the knowledge store that never needs the writer's lock: `earpiece kb search`,
`earpiece ask` and a running agent search while the desktop (or `earpiece kb add`) owns the store.

Why not Chroma here: a second `chromadb.PersistentClient` on the owner's folder is not a reader.
Measured with chromadb 1.5.9: its queries kept returning the HNSW graph loaded at open (stale
after the owner's writes), and opening it wrote to the folder (`length.bin` of the HNSW segment and
`chroma.sqlite3` changed) while the owner was writing too. Chroma's client/server mode (`chroma
run`) would need the owner to serve its own store; that is the multi-node set-up, not this one.

So a reader opens only the ledger, read-only (`sqlite3` `mode=ro`; WAL gives every read a
consistent snapshot beside the one writer), takes the knowledge base's stored vectors (flagged
units are never among them) and ranks them exactly with one matrix product: on this 2-core
machine under load (load average 7.6) 0.04 ms at 1k passages, 4-11 ms at 10k, 15-24 ms at 50k;
exact where HNSW is approximate. Loading the vectors costs ~10 ms per 1k passages. It re-reads
them whenever the ledger's generation moves, so a document added or removed by the owner is
searched on the next question.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import numpy as np

from earpiece.core.interfaces import Passage
from earpiece.core.knowledge.codes import asked_codes
from earpiece.core.knowledge.embedding import DIMENSIONS, MiniLmEmbedder
from earpiece.core.knowledge.errors import KnowledgeBaseNotFoundError, KnowledgeError
from earpiece.core.knowledge.handle import GenerationCache, KnowledgeHandle
from earpiece.core.knowledge.ledger import SCHEMA_VERSION, ChunkRow, DocumentInfo, KnowledgeBaseInfo, Ledger
from earpiece.core.knowledge.search import SearchResult, coded_passages, ledger_code_index, passages
from earpiece.core.knowledge.vocabulary import document_words, extract_vocabulary
from earpiece.core.settings import KnowledgeSettings


class KnowledgeReader(KnowledgeHandle):
    """Read-only access to a store folder, safe beside its owner in another process."""

    def __init__(
        self,
        root: Path | None = None,
        *,
        settings: KnowledgeSettings | None = None,
        embedder: MiniLmEmbedder | None = None,
    ) -> None:
        from earpiece.core.knowledge.store import default_store_path

        self.root = root if root is not None else default_store_path()
        path = self.root / "ledger.sqlite3"
        if not path.is_file():
            raise KnowledgeBaseNotFoundError(
                f"There is no knowledge store at {self.root} yet; create a knowledge base with "
                "`earpiece kb create NAME`."
            )
        self._ledger = Ledger(path, read_only=True)
        if self._ledger.schema_version() < SCHEMA_VERSION:
            self._ledger.close()
            raise KnowledgeError(
                f"The knowledge store {self.root} was written by an older version of Earpiece; open it once "
                "for writing (the desktop app, or `earpiece kb rebuild --kb NAME`) to bring it up to date."
            )
        super().__init__(settings, embedder)
        self._lock = threading.Lock()
        # kb -> (ids, vectors); kb -> words; (kb, source) -> words; kb -> code -> unit ids: each at the
        # ledger's generation
        self._matrices: GenerationCache[str, tuple[list[str], np.ndarray]] = GenerationCache()
        self._vocabulary: GenerationCache[str, list[str]] = GenerationCache()
        self._words: GenerationCache[tuple[str, str], frozenset[str]] = GenerationCache()
        self._codes: GenerationCache[str, dict[str, tuple[str, ...]]] = GenerationCache()

    def close(self) -> None:
        self._ledger.close()

    def generation(self) -> int:
        return self._ledger.generation()

    def knowledge_bases(self) -> list[KnowledgeBaseInfo]:
        return self._ledger.knowledge_bases()

    def info(self, name: str) -> KnowledgeBaseInfo:
        return self._ledger.existing(name)

    def documents(self, name: str) -> list[DocumentInfo]:
        self.info(name)
        return self._ledger.documents(name)

    def chunks(self, name: str, source: str | None = None) -> list[ChunkRow]:
        self.info(name)
        return self._ledger.chunks(name, source)

    def _matrix(self, name: str) -> tuple[list[str], np.ndarray]:
        generation = self._ledger.generation()  # read first: a later commit only causes a re-read

        def stacked() -> tuple[list[str], np.ndarray]:
            vectors = self._ledger.vectors(name)
            ids = list(vectors)
            return ids, np.stack([vectors[i] for i in ids]) if ids else np.zeros((0, DIMENSIONS), np.float32)

        with self._lock:
            return self._matrices.get(name, generation, stacked)

    def search(self, name: str, query: str, k: int = 3) -> SearchResult:
        """Top-k passages, best first, as `KnowledgeStore.search` gives them."""
        started = time.perf_counter()
        if self._ledger.collection(name) is None:  # the cheap lookup; `info` counts every passage
            self.info(name)  # raises, listing the known names
        if not query.strip() or k <= 0:
            return SearchResult([], 0.0, 0.0, 0.0)
        ids, matrix = self._matrix(name)
        vector = self.embedder.embed([query])[0]
        embedded = time.perf_counter()
        similarities = matrix @ vector
        top = np.argpartition(-similarities, k)[:k] if len(ids) > k else np.arange(len(ids))
        top = top[np.argsort(-similarities[top])]
        hits = [(ids[i], 1.0 - float(similarities[i])) for i in top]
        queried = time.perf_counter()
        found = passages(self._ledger, name, hits)
        finished = time.perf_counter()
        return SearchResult(found, (embedded - started) * 1000, (queried - embedded) * 1000,
                            (finished - started) * 1000)

    def vocabulary(self, name: str, limit: int = 60) -> list[str]:
        def work_out() -> list[str]:
            return extract_vocabulary([r.text for r in self.chunks(name) if not r.flags], limit=200)

        return self._vocabulary.get(name, self._ledger.generation(), work_out)[:limit]

    def coded(self, name: str, query: str) -> list[Passage]:
        """The units holding a code the query names (see `KnowledgeStore.coded`)."""
        if not asked_codes(query):
            return []
        if self._ledger.collection(name) is None:  # the cheap lookup, as in `search`
            self.info(name)  # raises, listing the known names
        generation = self._ledger.generation()
        index = self._codes.get(name, generation, lambda: ledger_code_index(self._ledger, name))
        return coded_passages(self._ledger, name, index, query, self.embedder.embed)

    def document_words(self, name: str, source: str) -> frozenset[str]:
        """Every word of one document, lower-cased (see `KnowledgeStore.document_words`)."""
        self.info(name)
        return self._words.get((name, source), self._ledger.generation(),
                               lambda: document_words(self._ledger.document_texts(name, source)))
