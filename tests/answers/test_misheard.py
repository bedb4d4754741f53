"""A question whose words were misheard on the line is answered right or declined, never with the
nearest sentence that reads like what is left of it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.engine.answering import Answer, Answerer
from earpiece.core.knowledge import KnowledgeRetriever, KnowledgeStore, ensure_sample_kb
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import KnowledgeSettings

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def answerer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answerer]:
    settings = KnowledgeSettings()
    embedder = MiniLmEmbedder.from_settings(settings)
    with KnowledgeStore(Path(tmp_path_factory.mktemp("sample")) / "store", embedder=embedder) as store:
        ensure_sample_kb(store)
        yield Answerer(OfflineResponder(settings.min_score), KnowledgeRetriever(store, "sample"),
                       top_k=settings.top_k, min_score=settings.min_score)


def _ask(answerer: Answerer, question: str) -> Answer:
    async def run() -> Answer:
        answer = Answer(question)
        async for _ in answerer.stream(answer):
            pass
        return answer

    return asyncio.run(run())


def test_how_with_its_degree_word_lost_asks_for_a_measure(answerer: Answerer) -> None:
    # The demo caller's "How long do I have to return a product for a refund?" as Moonshine heard it.
    answer = _ask(answerer, "How on do I have to return a product for a refin?")
    assert "other retailers" not in answer.text
    assert answer.declined or "30 days" in answer.text, answer.text
