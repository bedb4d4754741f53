"""The answerability model: a logistic regression over a candidate's features, and the two
confidence thresholds, read from `resources/answers/selector.json`.

The file is written by `python -m bench.answers.calibrate` from the development split only.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from earpiece.core.paths import resources_dir

# How close in meaning (MiniLM) a candidate is enters only relatively, as the gap to the best unit
# and the margin over the other candidates: absolute similarity levels depend on how an
# organisation writes its pages and did not carry over from one organisation to another (dev,
# leave-one-organisation-out: precision 0.947, coverage 0.51 without them, 0.941 / 0.46 with them).
FEATURES = (
    # The question's focus terms in the candidate, its heading or its page's title, each weighed by
    # how few of the retrieved units hold it (`selector.focus_weights`). Unweighed shares as well
    # did worse on dev left-one-organisation-out (0.977 / 0.60 / 0.957 against 1.0 / 0.60 / 1.0).
    "focus_distinct",
    "focus_spoken_distinct",  # the same, in the words that would be spoken only
    # The question asks for a kind of fact that can be checked (a price, a phone number, a time...)
    # and the candidate holds one ("free" or "discounted" for "how much": none): strong evidence,
    # unlike a policy word.
    "type_checked",
    "type_policy",  # a yes-or-no question and the candidate states a rule ("not", "only", "must")
    "type_missing",  # it asks for a kind of fact and the candidate holds none
    "score_gap",  # best unit score minus this unit's
    "margin",  # similarity to the question minus the best other candidate's
    # The caller named a figure in digits (a year, an amount, a code) that the candidate, its
    # heading and its page's title do not hold: "what's the earnings limit for 2009?" is not
    # answered by the limit "in the year you turn full retirement age". Dev, left one organisation
    # out: 0.968 (60/62) / 0.361 / 0.962 with it, 0.966 (56/58) / 0.337 / 0.962 without. Number
    # words counted too made it worthless (weight -0.05; "first", "two" are rarely the figure), and
    # cardinal words alone lost right answers.
    "number_missing",
)


def model_path() -> Path:
    return resources_dir() / "answers" / "selector.json"


@dataclass(frozen=True, slots=True)
class AnswerModel:
    weights: tuple[float, ...]
    bias: float
    threshold: float  # the offline responder speaks a candidate at or above this confidence
    llm_threshold: float  # a model is asked only at or above this (it may still decline)

    def confidence(self, features: tuple[float, ...]) -> float:
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def to_json(self, **extra: object) -> str:
        body = {
            "features": list(FEATURES),
            "weights": [round(w, 4) for w in self.weights],
            "bias": round(self.bias, 4),
            "threshold": round(self.threshold, 4),
            "llm_threshold": round(self.llm_threshold, 4),
            **extra,
        }
        return json.dumps(body, indent=2) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> AnswerModel:
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            names = tuple(body["features"])
            if names != FEATURES:
                raise ValueError(f"features {names} do not match this version's {FEATURES}")
            return cls(
                tuple(float(w) for w in body["weights"]),
                float(body["bias"]),
                float(body["threshold"]),
                float(body["llm_threshold"]),
            )
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"{path}: not a usable answer model ({exc}); "
                "recreate it with `python -m bench.answers.calibrate`"
            ) from exc


@lru_cache(maxsize=1)
def default_model() -> AnswerModel:
    return AnswerModel.from_file(model_path())
