"""The supervisor view over the labelled records of real calls (tests/data/calls) plus one desktop
record: figures, charts and the account filter (a screenshot goes to test-artifacts/); the gaps view
and its "add an answer"."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
from PySide6.QtCore import QDate

from earpiece.core.analytics import CallArchive
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.settings import AnalyticsSettings, Settings
from earpiece.desktop.gaps_view import GapsView
from earpiece.desktop.supervisor_view import SupervisorView
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord
from tests.analytics.labelled_calls import copy_records, labels

pytestmark = [pytest.mark.gui, pytest.mark.models]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PARKING = "There is free customer parking behind the showroom on Granby Street, with 12 spaces."
KEEP_ALL = Settings(analytics=AnalyticsSettings(retention_days=0))  # the labelled records age
AGENT_ONLY = ("outcome", "knowledge_base", "sip", "transfers", "audio", "notes")


def desktop_copy(records: Path, history: CallHistory) -> str:
    """One agent record rewritten as the desktop writes it, on account "desk" (from the SIP history)."""
    source = json.loads(sorted(records.glob("*.json"))[0].read_text())
    record = {k: v for k, v in source.items() if k not in AGENT_ONLY} | {"call_id": "desk-1"}
    (records / "desk-1.json").write_text(json.dumps(record))
    now = time.time()
    history.append(CallRecord("desk-1", "desk", CallDirection.INBOUND, "sip:+441164960330@pbx", "", now,
                              now + 1, now + 30, 200, "hung up here"))
    return str(source["call_id"])


def load(qtbot, view: SupervisorView) -> None:
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.refresh()


def test_supervisor_view_shows_the_figures_of_real_calls(qtbot, qloop, tmp_path) -> None:
    records = copy_records(tmp_path / "calls")
    history = CallHistory(tmp_path / "call_history.jsonl")
    copied = desktop_copy(records, history)
    archive = CallArchive(records, history.path)
    calls = archive.calls()
    truth = labels()
    truth["desk-1"] = truth[copied]
    view = SupervisorView(KEEP_ALL, archive)
    qtbot.addWidget(view)
    first, last = calls[0].started_at.astimezone(), calls[-1].started_at.astimezone()
    view.since.setDate(QDate(first.year, first.month, first.day))
    view.until.setDate(QDate(last.year, last.month, last.day))
    view.resize(1280, 860)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.show()  # showing the view reads the records

    board = view.data.dashboard
    expected = Counter(label["disposition"] for label in truth.values())
    assert board.dispositions == dict(expected)
    assert f"{len(calls)} calls · answered by the assistant {expected['answered by the assistant']}" \
        in view.figures.text()
    assert f"transferred {expected['transferred']}" in view.figures.text()
    assert sum(count for _, count in board.per_period) == len(calls)
    assert sorted(view.account.itemText(i) for i in range(view.account.count())) == \
        ["All accounts", "agent", "desk"]
    gap_topics = Counter(q["topic"] for label in truth.values() for q in label["questions"] if q["declined"])
    biggest, size = gap_topics.most_common(1)[0]
    assert board.top_gaps[0].count == size, (biggest, [g.as_dict() for g in board.top_gaps])
    assert len(board.sentiment_trend) == len(calls)

    ARTIFACTS.mkdir(exist_ok=True)
    qtbot.wait(300)
    assert view.grab().save(str(ARTIFACTS / "supervisor-view.png"))

    view.account.setCurrentText("desk")
    load(qtbot, view)
    assert view.data.dashboard.calls == 1 and view.account.currentText() == "desk"
    assert view.figures.text().startswith("1 calls")

    view.until.setDate(view.since.date().addDays(-1))
    view.since.setDate(view.until.date())
    load(qtbot, view)
    assert view.figures.text() == "No calls in this period."


def test_gaps_view_groups_unanswered_questions_and_adds_an_answer(qtbot, qloop, tmp_path) -> None:
    archive = CallArchive(copy_records(tmp_path / "calls"), tmp_path / "call_history.jsonl")
    settings = KEEP_ALL
    view = GapsView(settings, archive)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.refresh()
    truth = labels()
    gap_topics = Counter(q["topic"] for label in truth.values() for q in label["questions"] if q["declined"])
    assert view.table.rowCount() == len(view.groups) >= len(gap_topics) - 1
    assert int(view.table.item(0, 0).text()) == gap_topics.most_common(1)[0][1]

    with KnowledgeStore(tmp_path / "store", settings=settings.knowledge) as store:
        store.create("sample")
        view.set_store(store, "sample")
        view.table.selectRow(0)
        group = view.selected()
        assert group is not None and group.label == view.table.item(0, 2).text()
        with qtbot.waitSignal(view.answer_added, timeout=30_000) as added:
            spawn(view.add_answer(group.label, PARKING))
        assert added.args[0] == "sample"
        assert "12 spaces" in store.search("sample", group.examples[-1], 1).passages[0].text
        assert view.status.text().startswith("Added to sample")
