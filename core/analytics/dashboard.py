"""The supervisor's figures over a set of analysed calls: calls, answer rate and median answer time
in total and per hour (or day), who handled them, sentiment over time, top intents and top
knowledge gaps."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from earpiece.core.analytics.analysis import CallAnalysis
from earpiece.core.analytics.disposition import Disposition
from earpiece.core.analytics.gaps import GapGroup

MAX_HOURS = 24 * 31  # a longer range is shown per day


@dataclass(frozen=True, slots=True)
class Figures:
    """How a set of calls went: how many, the questions asked and answered, how fast."""

    calls: int
    questions: int
    answered: int
    median_answer_ms: float | None  # voice-to-voice of answered questions

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None


def figures(analyses: Sequence[CallAnalysis]) -> Figures:
    answer_times = [ms for a in analyses for ms in a.answer_times_ms]
    return Figures(
        calls=len(analyses),
        questions=sum(a.questions for a in analyses),
        answered=sum(a.answered for a in analyses),
        median_answer_ms=round(statistics.median(answer_times), 1) if answer_times else None,
    )


@dataclass(frozen=True, slots=True)
class Dashboard:
    total: Figures
    per_period: list[tuple[datetime, Figures]]  # bucket start (naive local time), every bucket in the range
    period: str  # "hour" | "day"
    dispositions: dict[str, int]
    sentiment_trend: list[tuple[datetime, float]]  # call start (local time) -> call sentiment
    top_intents: list[tuple[str, int]]
    top_gaps: list[GapGroup] = field(default_factory=list)

    @property
    def calls(self) -> int:
        return self.total.calls

    @property
    def by_assistant(self) -> int:
        return self.dispositions.get(str(Disposition.ANSWERED), 0)

    @property
    def transferred(self) -> int:
        return self.dispositions.get(str(Disposition.TRANSFERRED), 0)


def _buckets(starts: Sequence[datetime]) -> tuple[list[datetime], list[datetime], str]:
    """Each start's bucket, every bucket from the first to the last, and whether they are hours or
    days. Buckets are naive local times, so a day is a calendar day across a change of clocks."""
    if not starts:
        return [], [], "hour"
    hours = [s.replace(minute=0, second=0, microsecond=0, tzinfo=None) for s in starts]
    span = (max(hours) - min(hours)) / timedelta(hours=1)
    period, step = ("hour", timedelta(hours=1)) if span <= MAX_HOURS else ("day", timedelta(days=1))
    keys = hours if period == "hour" else [h.replace(hour=0) for h in hours]
    filled, at = [], min(keys)
    while at <= max(keys):
        filled.append(at)
        at += step
    return keys, filled, period


def dashboard(analyses: Sequence[CallAnalysis], gaps: Sequence[GapGroup] = (), top: int = 8) -> Dashboard:
    local = [a.call.started_at.astimezone() for a in analyses]
    keys, filled, period = _buckets(local)
    in_bucket: dict[datetime, list[CallAnalysis]] = {at: [] for at in filled}
    for key, analysis in zip(keys, analyses, strict=True):
        in_bucket[key].append(analysis)
    return Dashboard(
        total=figures(analyses),
        per_period=[(at, figures(in_bucket[at])) for at in filled],
        period=period,
        dispositions=dict(Counter(str(a.disposition) for a in analyses)),
        sentiment_trend=sorted(zip(local, (a.sentiment.score for a in analyses), strict=True)),
        top_intents=Counter(a.intent for a in analyses).most_common(top),
        top_gaps=list(gaps[:top]),
    )
