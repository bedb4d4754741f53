"""Caller sentiment with VADER (a rule-based lexicon tuned for short informal text, bundled in the
`vadersentiment` wheel): a compound score in [-1, 1] per caller turn, and for the call."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

POSITIVE = 0.05  # VADER's own cut-offs for positive / negative text
NEGATIVE = -0.05


@dataclass(frozen=True, slots=True)
class Sentiment:
    score: float  # compound, -1 (very negative) .. 1 (very positive)

    @property
    def label(self) -> str:
        return "positive" if self.score >= POSITIVE else "negative" if self.score <= NEGATIVE else "neutral"


@functools.cache
def _analyzer() -> SentimentIntensityAnalyzer:
    return SentimentIntensityAnalyzer()


def sentiment(text: str) -> Sentiment:
    return Sentiment(round(float(_analyzer().polarity_scores(text)["compound"]), 3))


def call_sentiment(turns: list[Sentiment]) -> Sentiment:
    """The call's sentiment: the mean of its caller turns, with the last turn counted twice (how
    the caller felt when the call ended matters most). Neutral when the caller said nothing."""
    if not turns:
        return Sentiment(0.0)
    weights = [1.0] * (len(turns) - 1) + [2.0]
    return Sentiment(round(sum(w * t.score for w, t in zip(weights, turns, strict=True)) / sum(weights), 3))
