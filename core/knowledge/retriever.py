"""The `Retriever` the voice engine uses: one knowledge base of an open store, searched off the event loop.

Over a `KnowledgeReader` (what an answering agent should hold) or a `RemoteReader` (an agent on
another machine) it follows the owner's changes: each search sees the documents committed before
it, with no restart.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Protocol

from earpiece.core.interfaces import Passage, UnitKind
from earpiece.core.knowledge.chunking import embedding_text
from earpiece.core.knowledge.codes import asked_codes
from earpiece.core.knowledge.search import SearchResult

# Items of one list found together: the question is about the list as a whole (a procedure's steps).
LIST_FOUND_TOGETHER = 3
WHOLE_LIST_PROBE = 5  # passages searched for the whole list


class Searchable(Protocol):
    """What the retriever needs: `KnowledgeStore`, `KnowledgeReader` and `RemoteReader` have it."""

    def info(self, name: str) -> object: ...

    def search(self, name: str, query: str, k: int = 3) -> SearchResult: ...

    def vocabulary(self, name: str, limit: int = 60) -> list[str]: ...

    def document_words(self, name: str, source: str) -> frozenset[str]: ...

    def coded(self, name: str, query: str) -> list[Passage]: ...


class KnowledgeRetriever:
    """Implements `earpiece.core.interfaces.Retriever` over a store's or a reader's `search`."""

    def __init__(self, store: Searchable, kb_name: str, *, vocabulary_size: int = 60) -> None:
        store.info(kb_name)  # fail now, with the list of known names, rather than on the first call
        self.store = store
        self.kb_name = kb_name
        self._vocabulary_size = vocabulary_size
        self.last_search_ms = 0.0

    async def search(self, query: str, k: int) -> list[Passage]:
        passages, self.last_search_ms = await asyncio.to_thread(self._search, query, k)
        return passages

    async def coded(self, query: str) -> list[Passage]:
        if not asked_codes(query):  # most questions name no code: no thread hop for them
            return []
        return await asyncio.to_thread(self.store.coded, self.kb_name, query)

    def _search(self, query: str, k: int) -> tuple[list[Passage], float]:
        """The top-k passages, and a numbered list's whole unit when several of its steps were found
        without it: the steps are alike and short, so each is nearer a question than the whole list
        is ("how do I reset my password?" found steps 5, 6 and 4 of resetting it, and its whole
        procedure 26th). The whole list is found by its steps, and ranks with the last of them."""
        result = self.store.search(self.kb_name, query, k)
        passages, ms = list(result.passages), result.total_ms
        have = {p.chunk_id for p in passages}
        for (source, heading), steps in _lists_without_their_whole(passages).items():
            probe = self.store.search(self.kb_name, embedding_text(heading, " ".join(s.text for s in steps)),
                                      WHOLE_LIST_PROBE)
            ms += probe.total_ms
            whole = next((p for p in probe.passages if p.chunk_id not in have and p.source == source
                          and p.heading == heading and p.kind is UnitKind.LIST and _holds(p, steps)), None)
            if whole is not None:
                passages.append(replace(whole, score=min(s.score for s in steps)))
                have.add(whole.chunk_id)
        return sorted(passages, key=lambda p: -p.score), ms

    def vocabulary(self) -> list[str]:
        return self.store.vocabulary(self.kb_name, self._vocabulary_size)

    def document_words(self, source: str) -> frozenset[str]:
        """Every word of the document `source` (a `Passage.source`), lower-cased: a name the caller
        said can be on a retrieved document's page though no retrieved unit holds it."""
        return self.store.document_words(self.kb_name, source)


def _holds(whole: Passage, items: Sequence[Passage]) -> bool:
    """Whether a list unit holds at least two of the other units of its list."""
    return sum(i.chunk_id != whole.chunk_id and i.text in whole.text for i in items) >= 2


def _lists_without_their_whole(passages: Sequence[Passage]) -> dict[tuple[str, str], list[Passage]]:
    """The list items found, by list (source, heading), of the lists with several items found and not
    the unit of the whole list."""
    lists: dict[tuple[str, str], list[Passage]] = defaultdict(list)
    for p in passages:
        if p.kind is UnitKind.LIST:
            lists[(p.source, p.heading)].append(p)
    return {key: items for key, items in lists.items()
            if len(items) >= LIST_FOUND_TOGETHER and not any(_holds(i, items) for i in items)}
