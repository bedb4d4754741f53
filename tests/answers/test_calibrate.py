"""The answerability model's refit (bench/answers/calibrate)."""

from __future__ import annotations

from pathlib import Path

from bench.answers.calibrate import Example, fitted
from bench.answers.cases import Case
from earpiece.core.answers.model import FEATURES, AnswerModel
from earpiece.core.answers.selector import Scored
from earpiece.core.answers.units import Candidate
from earpiece.core.interfaces import Passage


def _example(n: int, kind: str, features: tuple[float, ...], said: str) -> Example:
    case = Case(f"q-{n}", "org", "dev", kind, "how much is it?", (("$5",),), None, ())
    return Example(case, [Scored(Candidate(said, "", Passage(said, "page.md")), features, 0.5)])


def test_the_threshold_is_chosen_for_the_weights_the_model_file_stores(tmp_path: Path) -> None:
    """Thresholds chosen with unrounded weights let through an unanswerable question a hair under a
    right one once the file (weights to 4 places) was read back."""
    width = len(FEATURES)
    examples = [
        _example(n, kind, tuple(((n * 7 + i * 3) % 10) / 9 + (0.5 if right else 0.0) for i in range(width)),
                 "It is $5." if right else "It is free.")
        for n, (kind, right) in enumerate([("answerable", True), ("answerable", False),
                                           ("unanswerable", False)] * 4)
    ]
    model, _ = fitted(examples, 0.97, 0.0)
    path = tmp_path / "selector.json"
    path.write_text(model.to_json())
    assert AnswerModel.from_file(path) == model



def test_a_model_is_asked_only_where_the_offline_responder_would_speak() -> None:
    """The LLM threshold is the offline threshold, even with a right answer rated far below it
    (the rule before let a model answer from 95 % of the right answers' confidences down)."""
    width = len(FEATURES)
    examples = [_example(n, "answerable", (v,) * width, "It is $5.")
                for n, v in enumerate((0.05, 0.6, 0.7, 0.8, 0.9, 1.0))]
    examples += [_example(10 + n, "answerable", (0.3,) * width, "It is free.") for n in range(3)]
    examples += [_example(20 + n, "unanswerable", (0.4,) * width, "It is free.") for n in range(2)]
    model, _ = fitted(examples, 0.97, 0.0)
    low = model.confidence(examples[0].scored[0].features)
    assert low < model.threshold < 1.0
    assert model.llm_threshold == model.threshold
