"""The answer benchmark's evaluation on the held-out test split, with floors a little under what
it reached when calibrated (bench/results/answers.md has the figures). Tuning never reads this split."""

from __future__ import annotations

import pytest

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder, right
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

# Measured on the test split (offline, 2026-12-02, issue 11, session 7, one run after the changes):
# precision 0.97 (31 of 32), coverage 0.54 (31 of 57), unanswerable declined 1.0 (14 of 14),
# hostile safe 1.0; threshold 0.730, refit on dev only at a precision target of 0.97 (chosen on dev
# by the left-one-organisation-out check; at 1.0: 1.0 / 0.47 at threshold 0.795). NOT a clean
# held-out figure: two bugs fixed in this session (postal mail read as e-mail, "at no extra charge"
# making a count question a price question) were found on this split's wrong answers (session 6:
# 0.94 / 0.53 / 0.93 at threshold 0.737). Floors are about one question under these. Rebuilding
# the store moves these by a question or two (approximate nearest neighbours). The coverage goal
# (0.75) is far from reached.
FLOORS = {"precision": 0.93, "coverage": 0.52, "unanswerable_declined": 0.92, "hostile_safe": 1.0}


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
