"""The supervisor's figures over a set of analysed calls: calls per hour, who handled them,
answer rate, median answer time, sentiment over time, top intents and top knowledge gaps."""

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
class Dashboard:
    calls: int
    per_period: list[tuple[datetime, int]]  # bucket start (local time) -> calls; hourly or daily
    period: str  # "hour" | "day"
    dispositions: dict[str, int]
    questions: int
    answered: int
    median_answer_ms: float | None  # voice-to-voice of answered questions
    sentiment_trend: list[tuple[datetime, float]]  # call start (local time) -> call sentiment
    top_intents: list[tuple[str, int]]
    top_gaps: list[GapGroup] = field(default_factory=list)

    @property
    def answer_rate(self) -> float | None:
        return self.answered / self.questions if self.questions else None

    @property
    def by_assistant(self) -> int:
        return self.dispositions.get(str(Disposition.ANSWERED), 0)

    @property
    def transferred(self) -> int:
        return self.dispositions.get(str(Disposition.TRANSFERRED), 0)


def _buckets(starts: Sequence[datetime]) -> tuple[list[tuple[datetime, int]], str]:
    if not starts:
        return [], "hour"
    hours = [s.replace(minute=0, second=0, microsecond=0) for s in starts]
    span = (max(hours) - min(hours)) / timedelta(hours=1)
    period, step = ("hour", timedelta(hours=1)) if span <= MAX_HOURS else ("day", timedelta(days=1))
    keys = hours if period == "hour" else [h.replace(hour=0) for h in hours]
    counts = Counter(keys)
    filled, at = [], min(keys)
    while at <= max(keys):
        filled.append((at, counts.get(at, 0)))
        at += step
    return filled, period


def dashboard(analyses: Sequence[CallAnalysis], gaps: Sequence[GapGroup] = (), top: int = 8) -> Dashboard:
    local = [a.call.started_at.astimezone() for a in analyses]
    per_period, period = _buckets(local)
    answer_times = [ms for a in analyses for ms in a.answer_times_ms]
    return Dashboard(
        calls=len(analyses),
        per_period=per_period,
        period=period,
        dispositions=dict(Counter(str(a.disposition) for a in analyses)),
        questions=sum(a.questions for a in analyses),
        answered=sum(a.answered for a in analyses),
        median_answer_ms=round(statistics.median(answer_times), 1) if answer_times else None,
        sentiment_trend=sorted(zip(local, (a.sentiment.score for a in analyses), strict=True)),
        top_intents=Counter(a.intent for a in analyses).most_common(top),
        top_gaps=list(gaps[:top]),
    )
