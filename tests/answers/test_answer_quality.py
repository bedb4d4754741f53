"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

import pytest

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder, right
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

# Measured on the test split (offline, 2026-12-02, one run on a fresh store; issue 11, session 6:
# focus terms weighed by how few retrieved units hold them, an office's number as a phone
# question, an exception as a rule, a time span as no count; refit on dev only, no wrong dev
# answer: threshold 0.737): precision 0.94 (30 of 32), coverage 0.53 (30 of 57), unanswerable
# declined 0.93 (13 of 14), hostile safe 1.0. Run once after tuning on dev, not tuned after.
# Session 5 (model chosen after seeing this split twice, threshold 0.806): 1.0 / 0.46 / 1.0; the
# precision and declined floors were one question under those, and are now one question under
# these (lowered, because the model is now chosen on dev alone and this is what it reaches).
# Rebuilding the store moves these by a question or two (approximate nearest neighbours), hence
# the margins of about one question. The coverage goal (0.75) is not reached, and precision is
# under its 0.95 goal (see bench/results/answers.json).
FLOORS = {"precision": 0.90, "coverage": 0.50, "unanswerable_declined": 0.85, "hostile_safe": 1.0}


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
