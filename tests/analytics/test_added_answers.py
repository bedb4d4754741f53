"""Closing a gap: an admin's Q/A becomes a FAQ document in the knowledge base, found by search."""

from __future__ import annotations

from pathlib import Path

import pytest

from earpiece.core.analytics.added_answers import AnswerRejectedError, add_answer, answers_file
from earpiece.core.knowledge import KnowledgeBaseNotFoundError, KnowledgeStore, Outcome
from earpiece.core.knowledge.embedding import MiniLmEmbedder

pytestmark = pytest.mark.models

PARKING = "There is free parking for customers behind the showroom on Granby Street, with 12 spaces."


def test_an_added_answer_is_searchable_and_a_second_one_updates_the_same_document(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    folder = tmp_path / "answers"
    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:
        store.create("shop")
        first = add_answer(store, "shop", "Is there parking at the showroom?", PARKING, folder)
        assert first.outcome is Outcome.ADDED
        hit = store.search("shop", "where can I park my car", 1).passages[0]
        assert "12 spaces" in hit.text and Path(hit.source) == answers_file("shop", folder)

        second = add_answer(store, "shop", "Are you hiring?", "We have no vacancies at the moment.", folder)
        assert second.outcome is Outcome.UPDATED
        assert len(store.documents("shop")) == 1
        assert "vacancies" in store.search("shop", "do you have any jobs", 1).passages[0].text
        assert "12 spaces" in store.search("shop", "car park", 1).passages[0].text


def test_bad_input_is_refused_and_loses_nothing(tmp_path: Path, embedder: MiniLmEmbedder) -> None:
    folder = tmp_path / "answers"
    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:
        store.create("shop")
        add_answer(store, "shop", "Is there parking?", PARKING, folder)
        before = answers_file("shop", folder).read_text()
        with pytest.raises(AnswerRejectedError, match="both the question and the answer"):
            add_answer(store, "shop", "Are you hiring?", "   ", folder)
        with pytest.raises(KnowledgeBaseNotFoundError):
            add_answer(store, "nope", "Are you hiring?", "No.", folder)
        assert answers_file("shop", folder).read_text() == before
        assert not answers_file("nope", folder).exists()
