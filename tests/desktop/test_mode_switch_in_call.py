"""Switching a call from autonomous to copilot with the call view's Mode selector (#16 problem 3): the
caller's next question is shown and carded, not lost, and the call's one record keeps the greeting and
the first answer said before the switch. A real demo call: the demo caller asks the sample questions."""

from __future__ import annotations

import json

import pytest
import qasync
from pytestqt.qtbot import QtBot

from earpiece.core.engine.record import calls_dir
from earpiece.core.settings import CallMode
from earpiece.desktop.copilot_panel import SuggestionCard
from earpiece.desktop.tasks import spawn
from tests.desktop.windows import shown_window

pytestmark = [pytest.mark.gui, pytest.mark.peers, pytest.mark.models]


def _final(cards: list[SuggestionCard], *, spoken: bool) -> list[SuggestionCard]:
    return [c for c in cards if c.suggestion.spoken is spoken and not c.suggestion.provisional]


def test_a_switch_to_copilot_mid_call_cards_the_next_question_and_keeps_the_record_whole(
        qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    with shown_window(qtbot) as window:
        with qtbot.waitSignal(window.ai.loading, timeout=240_000, check_params_cb=lambda text: text == ""):
            spawn(window.start())
        asked: list[tuple[str, str]] = []  # call id, the caller's words

        def heard(call_id: str, speaker: str, text: str, _at: float) -> None:
            if speaker == "caller":
                asked.append((call_id, text))

        window.ai.transcript.connect(heard)
        window.start_demo(CallMode.AUTONOMOUS)  # Earpiece answers the first question aloud
        qtbot.waitUntil(lambda: bool(_final(window.copilot.cards(), spoken=True)), timeout=90_000)
        window.copilot.mode.setCurrentIndex(window.copilot.mode.findData(CallMode.COPILOT.value))
        call_id = window.shown_call_id
        assert window.phone.calls[call_id].mode is CallMode.COPILOT
        qtbot.waitUntil(lambda: bool(_final(window.copilot.cards(), spoken=False)), timeout=60_000)
        (card,) = _final(window.copilot.cards(), spoken=False)
        assert [text for cid, text in asked if cid == call_id][1] == card.suggestion.question
        lines = window.copilot.transcript_lines()
        assert any(line.endswith(f"Caller: {card.suggestion.question}") for line in lines)
        with qtbot.waitSignal(window.demo.finished, timeout=30_000):
            window.hangup_action.trigger()
        record_path = calls_dir() / f"{call_id}.json"
        qtbot.waitUntil(record_path.exists, timeout=20_000)
    record = json.loads(record_path.read_text())
    said = [(line["speaker"], line["text"]) for line in record["transcript"]]
    assistant = [text for speaker, text in said if speaker == "assistant"]
    assert len(assistant) == 2 and assistant[0].startswith("Hello"), said  # the greeting and the first answer
    assert [text for speaker, text in said if speaker == "caller"][1] == card.suggestion.question
    assert record["mode"] == "copilot"
