"""A real SIP call into the window: incoming call -> notification -> answer -> transcript and
suggestion -> hang up -> history entry. The caller is a second process (`earpiece demo-caller`,
its own pjsua2 endpoint) speaking a question in the Piper voice over 127.0.0.1."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.settings import AccountSettings, CallMode
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import CallDirection
from tests.desktop.widgets import cell
from tests.desktop.windows import shown_window
from tests.peers.process import PeerProcess

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]

QUESTION = "How much does delivery cost?"


def test_incoming_call_answered_with_transcript_suggestion_and_history(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with shown_window(qtbot, stop_timeout_ms=20_000) as window:
        run_call(qtbot, window, tmp_path)


def run_call(qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    with qtbot.waitSignal(window.ai.loading, timeout=120_000, check_params_cb=lambda text: text == ""):
        spawn(window.start())
    assert window.knowledge.current_kb() == "sample" and window.knowledge.documents.rowCount() >= 5

    account = AccountSettings(id="desk", username="agent", domain="127.0.0.1", registration=False,
                              allow_direct_calls=True, default_mode=CallMode.COPILOT)
    with qtbot.waitSignal(window.phone.registration_changed, timeout=10_000):
        spawn(window.phone.add_account(account, password=""))
    host, port = window.phone.local_sip_address()
    caller = PeerProcess(
        [sys.executable, "-m", "earpiece", "demo-caller", f"sip:agent@{host}:{port}",
         "--question", QUESTION, "--greeting-timeout", "0.5", "--answer-timeout", "40"],
        tmp_path / "caller.log",
    )
    try:
        with qtbot.waitSignal(window.phone.incoming_call, timeout=30_000) as ringing:
            pass
        call = ringing.args[0]
        notice = window.notices[call.call_id]
        assert notice.isVisible() and call.remote_uri.startswith("sip:demo-caller@")
        assert window.phone_panel.answer_button.isEnabled()

        with qtbot.waitSignal(window.phone.call_answered, timeout=10_000):
            notice.answer_button.click()
        assert call.call_id not in window.notices  # the notice is gone once answered
        assert window.copilot.mode.currentData() == "copilot"

        qtbot.waitUntil(lambda: any(re.match(r"\d+:\d\d  Caller: ", line) and "deliver" in line.lower()
                                    for line in window.copilot.transcript_lines()), timeout=45_000)
        # the turn's own card (an early one, made while the caller spoke, may come first)
        qtbot.waitUntil(lambda: any(not c.suggestion.provisional for c in window.copilot.cards()),
                        timeout=20_000)
        card = window.copilot.cards()[0]
        assert "4.95" in card.body.text()
        assert any("faq — How much does delivery cost?" in b.text() for b in card.source_buttons)

        window.phone_panel.select_call(call.call_id)
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000) as ended:
            window.phone_panel.hangup_button.click()
        assert ended.args[0].reason == "hung up here"
        assert caller.proc.wait(20) == 0, caller.log_text()
    finally:
        caller.stop()

    records = window.phone.history()
    assert [(r.direction, r.end_reason) for r in records] == [(CallDirection.INBOUND, "hung up here")]
    assert window.history.history.rowCount() == 1
    assert cell(window.history.history, 0, 4) == "you hung up"
    assert "demo-caller" in cell(window.history.history, 0, 2)
