"""The offline answerer on the bundled sample knowledge base, shared by the tests that ask it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from earpiece.core.engine.answering import Answer, Answerer
from earpiece.core.knowledge import KnowledgeRetriever, KnowledgeStore, ensure_sample_kb
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import KnowledgeSettings

Ask = Callable[[str], Answer]


@pytest.fixture(scope="module")
def sample_answerer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answerer]:
    settings = KnowledgeSettings()
    embedder = MiniLmEmbedder.from_settings(settings)
    with KnowledgeStore(Path(tmp_path_factory.mktemp("sample")) / "store", embedder=embedder) as store:
        ensure_sample_kb(store)
        yield Answerer(OfflineResponder(settings.min_score), KnowledgeRetriever(store, "sample"),
                       top_k=settings.top_k, min_score=settings.min_score)


@pytest.fixture(scope="module")
def ask(sample_answerer: Answerer) -> Ask:
    """Asks the sample answerer one question, as a caller would, and returns its answer."""

    return lambda question: answer_now(sample_answerer, question)


def answer_now(answerer: Answerer, question: str) -> Answer:
    """The answerer's whole answer to one question, run to its end on a fresh event loop."""

    async def stream() -> Answer:
        answer = Answer(question)
        async for _ in answerer.stream(answer):
            pass
        return answer

    return asyncio.run(stream())
