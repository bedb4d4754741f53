"""The supervisor's figures over analysed real calls: totals and per hour or day, every call in a
bucket even when the range crosses a change of clocks."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from earpiece.core.analytics import CallAnalyser, CallAnalysis, CallArchive, dashboard

pytestmark = pytest.mark.models


@pytest.fixture
def london(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time with a change of clocks (the last Sunday of March)."""
    monkeypatch.setenv("TZ", "Europe/London")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def moved(analysis: CallAnalysis, started: datetime) -> CallAnalysis:
    return dataclasses.replace(analysis, call=dataclasses.replace(analysis.call, started_at=started))


def test_per_period_figures_add_up_to_the_totals(archive: CallArchive, call_analyser: CallAnalyser) -> None:
    analyses = [call_analyser.analyse(c) for c in archive.calls()]
    board = dashboard(analyses)
    assert board.period == "hour" and board.calls == len(analyses)
    periods = [f for _, f in board.per_period]
    assert sum(f.calls for f in periods) == board.calls
    assert sum(f.questions for f in periods) == board.total.questions == sum(a.questions for a in analyses)
    assert sum(f.answered for f in periods) == board.total.answered == sum(a.answered for a in analyses)
    for _, f in board.per_period:
        rate = f.answer_rate
        assert (rate is None) == (f.questions == 0) and (rate is None or 0 <= rate <= 1)
    hours = [at for at, _ in board.per_period]
    assert hours == sorted(hours) and all(at.minute == 0 for at in hours)


def test_daily_buckets_keep_every_call_across_a_change_of_clocks(
        london: None, archive: CallArchive, call_analyser: CallAnalyser) -> None:
    first, last = (call_analyser.analyse(c) for c in archive.calls()[:2])
    winter, summer = datetime(2026, 3, 1, 12, tzinfo=UTC), datetime(2026, 4, 15, 12, tzinfo=UTC)
    board = dashboard([moved(first, winter), moved(last, summer)])
    assert board.period == "day" and len(board.per_period) == 46  # 1 March to 15 April
    assert sum(f.calls for _, f in board.per_period) == 2
    (start, _), *_, (end, figures) = board.per_period
    assert (start.day, start.month, end.day, end.month, figures.calls) == (1, 3, 15, 4, 1)
