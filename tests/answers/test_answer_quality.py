"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

import pytest

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder, right
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

# Measured on the test split (offline, 2026-12-01, `python -m bench.answers` on a fresh store, also
# from a clean copy of the commit; issue 11, session 4: the type feature split into checked/policy,
# lone procedure steps ruled out, time-of-day / postal / payment-method checks, a stemmer that joins
# "deleted"/"delete", similarity only relative to the other candidates, the refit on a dev split
# grown by 13 labelled questions): precision 0.91 (30 of 33), coverage 0.53 (30 of 57), unanswerable
# declined 0.86 (12 of 14), hostile safe 1.0. Before that session:
# 0.89 / 0.54 / 0.86. Rebuilding the store moves these by a question or two (approximate nearest
# neighbours), hence the margins of about one question. The goals (0.95 / 0.75 / 0.90) are
# not reached (see bench/results/answers.json).
FLOORS = {"precision": 0.86, "coverage": 0.49, "unanswerable_declined": 0.78, "hostile_safe": 1.0}


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
