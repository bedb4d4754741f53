"""Where to put `analytics.low_confidence`, the floor under which a spoken answer counts as a
knowledge gap: the confidence of every answer the offline responder speaks on the labelled support
questions of the answers benchmark (tests/data/answers, dev and test splits), against whether it
was right.

    PYTHONPATH=. .venv/bin/python -m tests.data.calls.low_confidence

Writes `low-confidence.json` / `.md` here. The answer selector speaks only at or above its own
threshold (`resources/answers/selector.json`), so a floor below that flags nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder, right
from earpiece.core.answers.model import AnswerModel, model_path
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings, Settings

HERE = Path(__file__).resolve().parent
FLOORS = (0.5, 0.8, 0.85, 0.88, 0.9, 0.92, 0.95)


def spoken_answers(split: str, embedder: MiniLmEmbedder) -> list[tuple[float, bool]]:
    """(confidence, right) of every answer spoken to an answerable or unanswerable question."""
    with labelled_store(embedder) as store:
        _, outcomes = evaluate(store, load(split), offline_responder())
    return [(o.confidence, o.case.kind == "answerable" and right(o.case, o.text))
            for o in outcomes if not o.declined and o.case.kind != "hostile"]


def main() -> None:
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    model = AnswerModel.from_file(model_path())
    result: dict[str, Any] = {"speaking_threshold": model.threshold, "llm_threshold": model.llm_threshold,
                              "shipped_floor": Settings().analytics.low_confidence, "splits": {}}
    for split in ("dev", "test"):
        answers = spoken_answers(split, embedder)
        wrong = sum(not ok for _, ok in answers)
        result["splits"][split] = {"spoken": len(answers), "wrong": wrong, "floors": {
            str(floor): {"flagged": sum(c < floor for c, _ in answers),
                         "wrong_flagged": sum(c < floor and not ok for c, ok in answers)}
            for floor in FLOORS}}
    (HERE / "low-confidence.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(
        f"| {floor} | {split} | {v['flagged']} of {s['spoken']} | {v['wrong_flagged']} of {s['wrong']} |"
        for split, s in result["splits"].items() for floor, v in s["floors"].items())
    text = f"""# Which spoken answers count as knowledge gaps

The offline responder's answers to the labelled support questions of the answers benchmark
(`tests/data/answers`), by confidence. The selector speaks only at {model.threshold} or more (a
model is asked from {model.llm_threshold}), so a floor at or below that flags nothing. Shipped floor
(`analytics.low_confidence`): {result['shipped_floor']}, chosen on dev: the band just above the
speaking threshold, about a quarter of the dev answers. The selector is fitted
for precision, so wrong answers are rare and most gaps are declines; figures indicative.

| floor | split | answers flagged | wrong answers flagged |
|---|---|---|---|
{rows}
"""
    (HERE / "low-confidence.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
