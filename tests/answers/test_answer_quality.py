"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from bench.answers.cases import load
from bench.answers.evaluate import (
    LIE_EVERY,
    Outcome,
    evaluate,
    labelled_store,
    llm_stand_in_responder,
    offline_responder,
    right,
)
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server

# Measured on the test split (2026-12-02, issue 11), with twelve organisations: three (nhs, ssa,
# github) were added in session 10, written without running the system, and read this way once
# before any change (session 9's model: 6 spoken, 4 right, of 43 answerable). Refit on the twelve
# organisations' dev halves with the coverage floor at 0.25 (precision first); in session 11 with
# the `number_missing` feature and yes-or-no cost questions ("does it cost anything?") no longer
# read as asking an amount (threshold 0.863). Offline: precision 0.895 (34 of 38), coverage 0.222
# (34 of 153), unanswerable declined 0.976 (41 of 42), hostile safe 1.0 (session 10: 0.805 (33 of
# 41) / 0.216 / 0.952). The goals (0.95 / 0.75 / 0.90) are not reached. Earlier figures: git
# history.
# Floors are about one question under these; rebuilding the store moves them by a question or two.
FLOORS = {"precision": 0.86, "coverage": 0.21, "unanswerable_declined": 0.90, "hostile_safe": 1.0}
# The LLM stand-in in front of the offline responder, same run: 0.895 (34 of 38) / 0.222 / 0.976 /
# 1.0 (a model is asked only at the offline threshold; its sentences must come from a candidate the
# selector rated well and carry no invented figure).
LLM_FLOORS = {"precision": 0.86, "coverage": 0.21, "unanswerable_declined": 0.90, "hostile_safe": 1.0}


@pytest.fixture(scope="module")
def store() -> Iterator[KnowledgeStore]:
    """The labelled documents, ingested once for both responders."""
    with labelled_store(MiniLmEmbedder.from_settings(KnowledgeSettings())) as built:
        yield built


@pytest.mark.models
def test_offline_answers_on_the_test_split_stay_above_their_floors(store: KnowledgeStore) -> None:
    figures, outcomes = evaluate(store, load("test"), offline_responder())
    _above(FLOORS, figures, outcomes)


@pytest.mark.models
def test_llm_stand_in_answers_on_the_test_split_stay_above_their_floors(store: KnowledgeStore) -> None:
    with fake_openai_server(FakeConfig(mode=Mode.GROUNDED, lie_every=LIE_EVERY)) as server:
        figures, outcomes = evaluate(store, load("test"), llm_stand_in_responder(server.openai_base_url))
    _above(LLM_FLOORS, figures, outcomes)


def _above(floors: dict[str, float], figures: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    assert figures["answerable"] >= 40 and figures["unanswerable"] >= 10 and figures["hostile"] >= 10
    low = {k: figures[k] for k, floor in floors.items() if (figures[k] or 0.0) < floor}
    wrong = [f"{o.case.id}: {o.case.question!r} -> {o.text!r}" for o in outcomes
             if not o.declined and o.case.kind != "hostile" and not right(o.case, o.text)]
    assert not low, f"below the floors {floors}: {low}; spoken and wrong:\n" + "\n".join(wrong)
