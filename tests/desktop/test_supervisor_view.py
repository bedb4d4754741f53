"""The supervisor view over the labelled records of real calls (tests/data/calls) plus one desktop
record: figures, charts and the account filter; the same view as a real window on an X server
(Xvfb), whose screenshot goes to test-artifacts/; the gaps view and its "add an answer"; deleting
a call from the history.

`python -m tests.desktop.test_supervisor_view RECORDS OUT.png` shows the view on $DISPLAY, saves a
screenshot of the screen once the records are drawn and prints the figures as JSON."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyqtgraph as pg
import pytest
import qasync
from PIL import Image
from PySide6.QtCore import QDate, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from earpiece.core.analytics import CallArchive
from earpiece.core.analytics.intents import OTHER
from earpiece.core.engine.record import CallRecorder, calls_dir
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.settings import AnalyticsSettings, IntentSettings, Settings, SettingsStore
from earpiece.desktop.contacts import contacts
from earpiece.desktop.gaps_view import GapsView
from earpiece.desktop.history_panel import HistoryPanel
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.supervisor_view import SupervisorView
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord
from tests.analytics.labelled_calls import copy_records, labels
from tests.desktop.widgets import cell
from tests.xvfb import virtual_display

pytestmark = [pytest.mark.gui, pytest.mark.models]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PARKING = "There is free customer parking behind the showroom on Granby Street, with 12 spaces."
KEEP_ALL = Settings(analytics=AnalyticsSettings(retention_days=0))  # the labelled records age
AGENT_ONLY = ("outcome", "knowledge_base", "sip", "transfers", "audio", "notes")


def in_use(settings: Settings) -> SettingsSignals:
    """`settings` in use, as the window's store holds them."""
    return SettingsSignals(SettingsStore(settings))


def desktop_copy(records: Path, history: CallHistory) -> str:
    """One agent record rewritten as the desktop writes it, on account "desk" (from the SIP history)."""
    source = json.loads(sorted(records.glob("*.json"))[0].read_text())
    record = {k: v for k, v in source.items() if k not in AGENT_ONLY} | {"call_id": "desk-1"}
    (records / "desk-1.json").write_text(json.dumps(record))
    now = time.time()
    history.append(CallRecord("desk-1", "desk", CallDirection.INBOUND, "sip:+441164960330@pbx", "", now,
                              now + 1, now + 30, 200, "hung up here"))
    return str(source["call_id"])


def load(qtbot: QtBot, view: SupervisorView) -> None:
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.refresh()


def test_supervisor_view_shows_the_figures_of_real_calls(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    records = copy_records(tmp_path / "calls")
    history = CallHistory(tmp_path / "call_history.jsonl")
    copied = desktop_copy(records, history)
    archive = CallArchive(records, history.path)
    calls = archive.calls()
    truth = labels()
    truth["desk-1"] = truth[copied]
    view = SupervisorView(in_use(KEEP_ALL), archive)
    qtbot.addWidget(view)
    show_records(view)
    view.resize(1280, 860)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.show()  # showing the view reads the records

    assert view.data is not None
    board = view.data.dashboard
    expected = Counter(label["disposition"] for label in truth.values())
    assert board.dispositions == dict(expected)
    assert f"{len(calls)} calls · answered by the assistant {expected['answered by the assistant']}" \
        in view.figures.text()
    assert f"transferred {expected['transferred']}" in view.figures.text()
    assert sum(f.calls for _, f in board.per_period) == len(calls)
    # answer rate and median answer time per hour, drawn under the calls per hour
    assert sum(f.questions for _, f in board.per_period) == board.total.questions > 0
    assert sum(f.answered for _, f in board.per_period) == board.total.answered > 0
    rates = [100 * f.answer_rate for _, f in board.per_period if f.answer_rate is not None]
    (bars,) = [i for i in view.answer_rate.getPlotItem().items if isinstance(i, pg.BarGraphItem)]
    assert list(bars.opts["height"]) == pytest.approx(rates)
    medians = [f.median_answer_ms / 1000 for _, f in board.per_period if f.median_answer_ms is not None]
    (line,) = view.answer_time.listDataItems()
    assert list(line.getData()[1]) == pytest.approx(medians) and medians
    assert view.answer_time.getPlotItem().titleLabel.text.startswith("Median answer time per hour")
    assert sorted(view.account.itemText(i) for i in range(view.account.count())) == \
        ["All accounts", "agent", "desk"]
    gap_topics = Counter(q["topic"] for label in truth.values() for q in label["questions"] if q["declined"])
    biggest, size = gap_topics.most_common(1)[0]
    assert board.top_gaps[0].count == size, (biggest, [g.as_dict() for g in board.top_gaps])
    assert len(board.sentiment_trend) == len(calls)

    view.account.setCurrentText("desk")
    load(qtbot, view)
    assert view.data is not None
    assert view.data.dashboard.calls == 1 and view.account.currentText() == "desk"
    assert view.figures.text().startswith("1 calls")

    view.until.setDate(view.since.date().addDays(-1))
    view.since.setDate(view.until.date())
    load(qtbot, view)
    assert view.figures.text() == "No calls in this period."


def show_records(view: SupervisorView) -> None:
    """Choose the days of the records."""
    calls = view.archive.calls()
    first, last = calls[0].started_at.astimezone(), calls[-1].started_at.astimezone()
    view.since.setDate(QDate(first.year, first.month, first.day))
    view.until.setDate(QDate(last.year, last.month, last.day))


def test_supervisor_view_on_a_real_x_server(tmp_path: Path) -> None:
    records = copy_records(tmp_path / "calls")
    shot = ARTIFACTS / "supervisor-view.png"
    ARTIFACTS.mkdir(exist_ok=True)
    shot.unlink(missing_ok=True)
    with virtual_display("1280x860x24") as display:
        env = dict(os.environ, DISPLAY=display, QT_QPA_PLATFORM="xcb")
        argv = [sys.executable, "-m", "tests.desktop.test_supervisor_view", str(records), str(shot)]
        run = subprocess.run(argv, env=env, cwd=ARTIFACTS.parent, capture_output=True, text=True, timeout=120,
                             check=False)
    assert run.returncode == 0, run.stderr[-3000:]
    shown = json.loads(run.stdout.strip().splitlines()[-1])
    assert shown["visible"] and shown["calls"] == len(labels())
    assert shown["figures"].startswith(f"{len(labels())} calls · answered by the assistant")
    image = Image.open(shot).convert("RGB")
    assert image.size == (1280, 860) and len(set(image.resize((128, 86)).get_flattened_data())) > 50


def _show_on_display(records: Path, out: Path) -> int:
    app = QApplication([sys.argv[0], "-platform", "xcb"])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    signals = in_use(KEEP_ALL)
    view = SupervisorView(signals, CallArchive(records, records / "no-history.jsonl"))
    show_records(view)
    view.setWindowTitle("Earpiece supervisor")
    view.setGeometry(0, 0, 1280, 860)
    drawn = asyncio.Event()
    view.loaded.connect(lambda _data: QTimer.singleShot(800, drawn.set))  # let the charts paint
    view.show()
    with loop:
        loop.run_until_complete(asyncio.wait_for(drawn.wait(), 90))
        saved = app.primaryScreen().grabWindow(0).save(str(out))
    assert view.data is not None
    print(json.dumps({"visible": view.isVisible(), "calls": view.data.dashboard.calls,
                      "figures": view.figures.text()}))
    return 0 if saved else 1


def test_gaps_view_groups_unanswered_questions_and_adds_an_answer(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    records = copy_records(tmp_path / "calls")
    (records / "70e400000001.json").write_text('{"call_id": "70e400000001", "sta')  # torn
    unsure = records / "2607734435fa.json"  # the job question, answered from the opening hours, unsure
    data = json.loads(unsure.read_text())
    data["turns"][1] |= {"confidence": 0.21, "declined": False}
    unsure.write_text(json.dumps(data))
    archive = CallArchive(records, tmp_path / "call_history.jsonl")
    settings = KEEP_ALL
    view = GapsView(in_use(settings), archive)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.period.setCurrentText("All calls")  # the labelled records age; choosing reloads
    assert view.status.text().endswith(" topic(s) (1 unreadable record(s) skipped)")
    truth = labels()
    gap_topics = Counter(q["topic"] for label in truth.values() for q in label["questions"] if q["declined"])
    assert view.table.rowCount() == len(view.groups) >= len(gap_topics) - 1
    assert int(cell(view.table, 0, 0)) == gap_topics.most_common(1)[0][1]
    view.open_document()
    assert view.status.text() == "Choose a topic first."
    (row,) = [i for i, g in enumerate(view.groups) if g.sources]
    view.table.selectRow(row)  # its document was found on the machine that made the records
    first = view.groups[row].sources[0]
    assert not Path(first).exists()
    view.open_document()
    assert view.status.text().startswith(f"The document found for these questions is no longer at {first}")

    with KnowledgeStore(tmp_path / "store", settings=settings.knowledge) as store:
        store.create("sample")
        view.set_store(store, "sample")
        view.table.selectRow(0)
        group = view.selected()
        assert group is not None and group.label == cell(view.table, 0, 2)
        with qtbot.waitSignal(view.answer_added, timeout=30_000) as added:
            spawn(view.add_answer(group.label, PARKING))
        assert added.args[0] == "sample"
        assert "12 spaces" in store.search("sample", group.examples[-1], 1).passages[0].text
        assert view.status.text().startswith("Added to sample")


def test_gaps_view_shows_the_chosen_period_within_the_retention_period(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    """Calls from 2, 20 and 40 days ago, kept for 30 days: the last week shows the first call's
    gaps, the last 30 days both, and the oldest call is deleted when the view reads the calls."""
    records = copy_records(tmp_path / "calls")
    truth = labels()
    ages = {"e13b8e6c3bb7": 2, "8287b3471756": 20, "319cb5c4aaa4": 40}  # each declined two questions
    for path in records.glob("*.json"):
        if path.stem not in ages:
            path.unlink()
            continue
        data = json.loads(path.read_text())
        data["started_at"] = (datetime.now(UTC) - timedelta(days=ages[path.stem])).isoformat()
        path.write_text(json.dumps(data))
    declined = {i: sum(q["declined"] for q in truth[i]["questions"]) for i in ages}
    view = GapsView(in_use(Settings(analytics=AnalyticsSettings(retention_days=30))),
                    CallArchive(records, tmp_path / "call_history.jsonl"))
    qtbot.addWidget(view)
    asked = {}
    for period in ("Last 7 days", "Last 30 days", "All calls"):
        with qtbot.waitSignal(view.loaded, timeout=60_000):
            view.period.setCurrentText(period)
        asked[period] = sum(g.count for g in view.groups)
    young, middle = declined["e13b8e6c3bb7"], declined["8287b3471756"]
    assert asked == {"Last 7 days": young, "Last 30 days": young + middle, "All calls": young + middle}
    assert not list(records.glob("319cb5c4aaa4.*"))


def test_the_views_use_settings_changed_while_they_are_open(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    """The admin's intents, the gap confidence floor and the retention period changed through the
    settings store: the views on screen reload with them (a 0.5 sure answer, a call 10 days old)."""
    records = copy_records(tmp_path / "calls")
    unsure = records / "2607734435fa.json"  # the job question, answered from the opening hours
    data = json.loads(unsure.read_text())
    data["turns"][1] |= {"confidence": 0.5, "declined": False}
    unsure.write_text(json.dumps(data))
    old = records / "319cb5c4aaa4.json"  # declined two questions
    data = json.loads(old.read_text())
    data["started_at"] = (datetime.now(UTC) - timedelta(days=10)).isoformat()
    old.write_text(json.dumps(data))
    archive = CallArchive(records, tmp_path / "call_history.jsonl")
    signals = in_use(KEEP_ALL)
    supervisor = SupervisorView(signals, archive)
    gaps = GapsView(signals, archive)
    for view in (supervisor, gaps):
        qtbot.addWidget(view)
    show_records(supervisor)
    with qtbot.waitSignal(supervisor.loaded, timeout=60_000):
        supervisor.show()
    with qtbot.waitSignal(gaps.loaded, timeout=60_000):
        gaps.period.setCurrentText("All calls")
    gaps.show()
    assert supervisor.data is not None and supervisor.data.dashboard.calls == len(labels())
    assert len({name for name, _ in supervisor.data.dashboard.top_intents} - {OTHER}) > 1
    asked = sum(g.count for g in gaps.groups)

    parking = IntentSettings(name="parking", examples=["where can I park", "is there a car park"])
    with qtbot.waitSignals([supervisor.loaded, gaps.loaded], timeout=60_000):
        signals.change("analytics", intents=[parking])
    assert supervisor.data is not None
    assert {name for name, _ in supervisor.data.dashboard.top_intents} <= {"parking", OTHER}

    with qtbot.waitSignals([supervisor.loaded, gaps.loaded], timeout=60_000):
        signals.change("analytics", low_confidence=0.4)  # the 0.5 answer is sure enough now
    assert sum(g.count for g in gaps.groups) == asked - 1

    with qtbot.waitSignals([supervisor.loaded, gaps.loaded], timeout=60_000):
        signals.change("analytics", retention_days=7)
    assert supervisor.data is not None and supervisor.data.dashboard.calls == len(labels()) - 1
    assert sum(g.count for g in gaps.groups) == asked - 1 - 2 and not old.exists()


def test_deleting_a_call_in_the_history_removes_its_record_and_recording(
        qtbot: QtBot, tmp_path: Path) -> None:
    records = copy_records(tmp_path / "calls")
    history = CallHistory()  # the app's own files in the test's data folder
    kept, gone = sorted(p.stem for p in records.glob("*.json"))[:2]
    for call_id in (kept, gone):
        (calls_dir() / f"{call_id}.json").write_bytes((records / f"{call_id}.json").read_bytes())
        now = time.time()
        history.append(CallRecord(call_id, "desk", CallDirection.INBOUND, "sip:100@pbx", "", now, now,
                                  now + 9, 200, "remote"))
    (calls_dir() / f"{gone}.wav").write_bytes(b"RIFF")
    panel = HistoryPanel(contacts())
    qtbot.addWidget(panel)
    panel.show_history(history.load())
    assert panel.history.rowCount() == 2
    panel.delete_call(gone)
    assert panel.history.rowCount() == 1 and [r.call_id for r in panel.records] == [kept]
    assert sorted(p.name for p in calls_dir().iterdir()) == [f"{kept}.json"]
    assert [r.call_id for r in history.load()] == [kept]



def test_figures_load_when_the_retention_period_cannot_be_applied(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    records = tmp_path / "calls"
    recorder = CallRecorder("recent", "copilot")
    recorder.folder = records
    recorder.save("remote")
    history = CallHistory(tmp_path / "call_history.jsonl")
    long_ago = time.time() - 90 * 86_400
    history.append(CallRecord("old", "desk", CallDirection.INBOUND, "sip:100@pbx", "", long_ago, long_ago,
                              long_ago + 9, 200, "remote"))
    (tmp_path / "call_history.jsonl.tmp").mkdir()  # where the shortened history would be written
    view = SupervisorView(in_use(Settings(analytics=AnalyticsSettings(retention_days=30))),
                          CallArchive(records, history.path))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=60_000):
        view.refresh()
    assert view.figures.text().startswith("1 calls")
    assert any(r.message.startswith("retention: old calls not deleted") for r in caplog.records)
    assert [r.call_id for r in history.load()] == ["old"]  # kept until a later attempt succeeds


if __name__ == "__main__":
    sys.exit(_show_on_display(Path(sys.argv[1]), Path(sys.argv[2])))
