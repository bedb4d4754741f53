"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

from collections.abc import Sequence
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
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server

# Measured on the test split (offline, 2026-12-02, issue 11, session 8, one run after the dev work):
# precision 0.967 (29 of 30), coverage 0.51 (29 of 57), unanswerable declined 1.0 (14 of 14),
# hostile safe 1.0; threshold 0.734, refit on dev only at a precision target of 0.97 with every
# unanswerable dev question declined. Session 7 read 0.969 (31 of 32) / 0.54 here (threshold
# 0.730): this session's dev-only changes (consequence questions, seasons of opening, closed-class
# words out of the focus terms, "free" or "discounted" no evidence of an amount) raised dev to
# 1.0 / 0.73 / 1.0 and the left-one-organisation-out check to 0.982 / 0.771 / 0.957, but lost two
# test questions and answered one wrong; nothing was tuned after this split was read. Session 7's
# figure was itself not clean (two bugs found on this split's wrong answers). Floors are about one
# question under these. Rebuilding the store moves these by a question or two (approximate nearest
# neighbours). The coverage goal (0.75) is far from reached.
# Session 9 (one run after the dev work, threshold 0.724): unchanged, 0.936 (29 of 31) / 0.509 /
# 0.929, while dev rose to 1.0 / 0.80 / 1.0 and left-one-organisation-out to 0.983 / 0.829 / 0.957
# (kind words and story words out of the focus terms, a list item said with its short heading, no
# candidate opening with a pronoun for something unsaid). LLM stand-in 0.936 / 0.509 / 0.929 (was
# 0.938 / 0.526). Floors not changed.
FLOORS = {"precision": 0.93, "coverage": 0.49, "unanswerable_declined": 0.92, "hostile_safe": 1.0}
# The LLM stand-in in front of the offline responder, same run: precision 0.968 (30 of 31), coverage
# 0.526 (30 of 57), unanswerable declined 1.0, hostile safe 1.0 (was 0.853 / 0.509 before a model's
# sentence had to come from a candidate the selector rated well and be no sentence cut from its start,
# both tuned on dev only). Floors about one question under.
LLM_FLOORS = {"precision": 0.93, "coverage": 0.50, "unanswerable_declined": 0.92, "hostile_safe": 1.0}


@pytest.mark.models
def test_offline_answers_on_the_test_split_stay_above_their_floors() -> None:
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    with labelled_store(embedder) as store:
        figures, outcomes = evaluate(store, load("test"), offline_responder())
    _above(FLOORS, figures, outcomes)


@pytest.mark.models
def test_llm_stand_in_answers_on_the_test_split_stay_above_their_floors() -> None:
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    with labelled_store(embedder) as store, fake_openai_server(
        FakeConfig(mode=Mode.GROUNDED, lie_every=LIE_EVERY)
    ) as server:
        figures, outcomes = evaluate(store, load("test"), llm_stand_in_responder(server.openai_base_url))
    _above(LLM_FLOORS, figures, outcomes)


def _above(floors: dict[str, float], figures: dict[str, Any], outcomes: Sequence[Outcome]) -> None:
    assert figures["answerable"] >= 40 and figures["unanswerable"] >= 10 and figures["hostile"] >= 10
    low = {k: figures[k] for k, floor in floors.items() if (figures[k] or 0.0) < floor}
    wrong = [f"{o.case.id}: {o.case.question!r} -> {o.text!r}" for o in outcomes
             if not o.declined and o.case.kind != "hostile" and not right(o.case, o.text)]
    assert not low, f"below the floors {floors}: {low}; spoken and wrong:\n" + "\n".join(wrong)
