"""The copilot demo: the demo call rings (no automatic answer), the agent answers it, the demo
caller asks and a suggestion card with the sample knowledge base's answer appears."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.settings import CallMode
from earpiece.desktop.tasks import spawn
from tests.desktop.widgets import action_menu
from tests.desktop.windows import shown_window

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]


def test_copilot_demo_rings_is_answered_and_suggests(
        qtbot: QtBot, qloop: qasync.QEventLoop, tmp_path: Path) -> None:
    with shown_window(qtbot, stop_timeout_ms=20_000) as window:
        with qtbot.waitSignal(window.ai.loading, timeout=120_000, check_params_cb=lambda text: text == ""):
            spawn(window.start())
        assert [a.text() for a in action_menu(window.menuBar().actions()[0]).actions()][:2] == [
            "Demo call: copilot", "Demo call: autonomous"]
        with qtbot.waitSignal(window.phone.incoming_call, timeout=60_000) as ringing:
            window.demo_action.trigger()
        call = ringing.args[0]
        assert call.mode is CallMode.COPILOT
        qtbot.wait(3000)  # longer than the autonomous demo's automatic answer
        assert call.ringing_in and window.answer_action.isEnabled()

        with qtbot.waitSignal(window.phone.call_answered, timeout=10_000):
            window.answer_action.trigger()
        assert window.copilot.mode.currentData() == "copilot"
        said: list[str] = []
        window.demo.status.connect(said.append)
        try:
            # the turn's own card (an early one may show while the caller is still talking)
            qtbot.waitUntil(lambda: any("4.95" in c.body.text() and not c.suggestion.provisional
                                        for c in window.copilot.cards()), timeout=60_000)
        except Exception as exc:
            raise AssertionError((said, window.copilot.transcript_lines(),
                                  [c.body.text() for c in window.copilot.cards()])) from exc
        assert any(re.match(r"\d+:\d\d  Caller: ", line) and "deliver" in line.lower()
                   for line in window.copilot.transcript_lines())
        assert window.kb_choice.current() == "sample"

        # Mid-call, the agent picks another knowledge base for this call: the next answer comes from it.
        store = window.models.store
        assert store is not None
        store.create("returns-2027")
        policy = tmp_path / "returns-2027.md"
        policy.write_text("# Returns\n\nFrom 2027 you can return a product within 14 days for a refund.\n")
        store.add("returns-2027", [policy])
        window.knowledge.refresh()  # as after an ingest in the Knowledge tab: kb_changed
        index = window.kb_choice.box.findText("returns-2027")
        assert index >= 0
        window.kb_choice.box.setCurrentIndex(index)
        window.kb_choice.box.activated.emit(index)
        assert window.phone.calls[call.call_id].knowledge_base == "returns-2027"
        qtbot.waitUntil(lambda: any("14 days" in c.body.text() for c in window.copilot.cards()),
                        timeout=60_000)
        assert window.settings.knowledge.default_kb == "sample"  # this call only
        started = time.monotonic()
        with qtbot.waitSignal(window.demo.finished, timeout=30_000):
            window.hangup_action.trigger()
        assert time.monotonic() - started < 30
        assert window.demo_action.isEnabled()
