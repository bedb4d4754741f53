"""Quitting during an AI call: the call's record (what was said so far) is on disk before the phone
stops, so nothing said in the call is lost with the window."""

from __future__ import annotations

import json

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.engine.record import calls_dir
from earpiece.core.settings import CallMode
from earpiece.desktop.tasks import spawn
from tests.desktop.windows import shown_window

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]


def test_quitting_mid_call_leaves_the_calls_record_before_the_phone_stops(
        qtbot: QtBot, qloop: qasync.QEventLoop, monkeypatch: pytest.MonkeyPatch) -> None:
    with shown_window(qtbot) as window:  # its own shutdown below is the test; the helper's finds it done
        with qtbot.waitSignal(window.ai.loading, timeout=120_000, check_params_cb=lambda text: text == ""):
            spawn(window.start())
        lines: list[tuple[str, str, str]] = []
        window.ai.transcript.connect(lambda call_id, speaker, text: lines.append((call_id, speaker, text)))
        window.start_demo(CallMode.AUTONOMOUS)  # answered by the AI; the demo caller asks its questions
        qtbot.waitUntil(lambda: any(speaker == "caller" for _, speaker, _ in lines), timeout=60_000)
        call_id, _, said = next(line for line in lines if line[1] == "caller")
        record = calls_dir() / f"{call_id}.json"
        written_when_stopped: list[bool] = []
        phone_stop = window.phone.stop

        async def stop() -> None:
            written_when_stopped.append(record.exists())
            await phone_stop()

        monkeypatch.setattr(window.phone, "stop", stop)
        spawn(window.shutdown(quit_app=False))
        qtbot.waitUntil(lambda: window.phone.engine is None and window.models.store is None, timeout=30_000)
        assert written_when_stopped == [True]
    transcript = json.loads(record.read_text())["transcript"]
    assert any(line["speaker"] == "caller" and line["text"] == said for line in transcript)
