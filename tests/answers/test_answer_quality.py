"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

import pytest

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder, right
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

# Measured on the test split (offline, 2026-12-02, one run on a fresh store; issue 11, session 5:
# a sentence that points back said with the one before, the refit on dev with calibrate's
# defaults, no wrong dev answer: threshold 0.806): precision 1.0 (26 of 26), coverage 0.46 (26 of
# 57), unanswerable declined 1.0 (14 of 14), hostile safe 1.0. At the 0.97 target (threshold
# 0.709): 0.94 / 0.53 / 0.86. Session 4: 0.91 / 0.53 / 0.86.
# Rebuilding the store moves these by a question or two (approximate nearest neighbours), hence
# the margins of about one question. The coverage goal (0.75) is not reached (see
# bench/results/answers.json).
FLOORS = {"precision": 0.96, "coverage": 0.43, "unanswerable_declined": 0.92, "hostile_safe": 1.0}


@pytest.mark.models
def test_offline_answers_on_the_test_split_stay_above_their_floors() -> None:
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    with labelled_store(embedder) as store:
        figures, outcomes = evaluate(store, load("test"), offline_responder())
    assert figures["answerable"] >= 40 and figures["unanswerable"] >= 10 and figures["hostile"] >= 10
    low = {k: figures[k] for k, floor in FLOORS.items() if (figures[k] or 0.0) < floor}
    wrong = [f"{o.case.id}: {o.case.question!r} -> {o.text!r}" for o in outcomes
             if not o.declined and o.case.kind != "hostile" and not right(o.case, o.text)]
    assert not low, f"below the floors {FLOORS}: {low}; spoken and wrong:\n" + "\n".join(wrong)
