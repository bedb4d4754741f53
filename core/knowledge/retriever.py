"""The `Retriever` the voice engine uses: one knowledge base of an open store, searched off the event loop.

Over a `KnowledgeReader` (what an answering agent should hold) or a `RemoteReader` (an agent on
another machine) it follows the owner's changes: each search sees the documents committed before
it, with no restart.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from earpiece.core.interfaces import Passage
from earpiece.core.knowledge.search import SearchResult


class Searchable(Protocol):
    """What the retriever needs: `KnowledgeStore`, `KnowledgeReader` and `RemoteReader` have it."""

    def info(self, name: str) -> object: ...

    def search(self, name: str, query: str, k: int = 3) -> SearchResult: ...

    def vocabulary(self, name: str, limit: int = 60) -> list[str]: ...

    def document_words(self, name: str, source: str) -> frozenset[str]: ...


class KnowledgeRetriever:
    """Implements `earpiece.core.interfaces.Retriever` over a store's or a reader's `search`."""

    def __init__(self, store: Searchable, kb_name: str, *, vocabulary_size: int = 60) -> None:
        store.info(kb_name)  # fail now, with the list of known names, rather than on the first call
        self.store = store
        self.kb_name = kb_name
        self._vocabulary_size = vocabulary_size
        self.last_search_ms = 0.0

    async def search(self, query: str, k: int) -> list[Passage]:
        result = await asyncio.to_thread(self.store.search, self.kb_name, query, k)
        self.last_search_ms = result.total_ms
        return result.passages

    def vocabulary(self) -> list[str]:
        return self.store.vocabulary(self.kb_name, self._vocabulary_size)

    def document_words(self, source: str) -> frozenset[str]:
        """Every word of the document `source` (a `Passage.source`), lower-cased: a name the caller
        said can be on a retrieved document's page though no retrieved unit holds it."""
        return self.store.document_words(self.kb_name, source)
