"""A copilot card shows while the caller is still talking, marked as early, beside the caller's words
so far (a provisional transcript line), and the turn's own card and line take their places when the
caller has finished: a real copilot session (the engine tests' stand-in
recogniser and knowledge, real speech frames in real time) feeds the window as a call would."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from earpiece.core.calls.events import SessionEvent
from earpiece.core.engine import CallSession, EngineConfig, EngineEvent, VoiceStack
from earpiece.core.engine.answering import Answerer
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, VadSettings
from earpiece.desktop.copilot_panel import PROVISIONAL_LABEL, SuggestionView
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
)

pytestmark = pytest.mark.gui

QUESTION = "How much does standard delivery cost?"


def lines(window: MainWindow) -> list[tuple[str, bool]]:
    """The transcript's lines, each with whether it is provisional."""
    panel = window.copilot
    return [(text, panel.is_provisional(row)) for row, text in enumerate(panel.transcript_lines())]


def test_an_early_card_shows_with_the_callers_words_so_far_and_the_turns_card_and_line_replace_them(
        qtbot: QtBot, window: MainWindow) -> None:
    caller = ScriptedCaller()
    stack = VoiceStack(
        HeardSpeechToText(lambda: caller.last_said),
        ToneTextToSpeech(),
        Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3),
        VadSettings(end_of_turn_ms=1000),
    )
    session = CallSession(stack, mode=CallMode.COPILOT, config=EngineConfig())

    def to_window(event: EngineEvent) -> None:  # as the call controller hands session events on
        window.ai._on_controller_event(SessionEvent("c1", CallMode.COPILOT, event))

    session.events.subscribe(to_window)
    window.shown_call_id = "c1"
    window.copilot.show_call("Caller", CallMode.COPILOT.value)
    arrived: list[tuple[bool, list[tuple[str, bool]]]] = []  # each card: provisional?, the lines then
    window.ai.suggestion.connect(lambda _call, card: arrived.append(
        (isinstance(card, SuggestionView) and card.provisional, lines(window))))

    running = spawn(session.run(caller.frames()))
    try:
        caller.say(QUESTION)
        qtbot.waitUntil(lambda: bool(arrived), timeout=10_000)
        early = window.copilot.cards()
        assert len(early) == 1 and early[0].provisional_label.text() == PROVISIONAL_LABEL
        assert not early[0].provisional_label.isHidden()
        assert "four pounds ninety-five" in early[0].body.text()
        qtbot.waitUntil(lambda: len(arrived) == 2, timeout=10_000)
    finally:
        caller.hang_up()
        qtbot.waitUntil(running.done, timeout=10_000)
    # the first card, marked as early, came with the caller's words so far, before their final line
    provisional, shown = arrived[0]
    assert provisional and len(shown) == 1 and shown[0][0].endswith(f"Caller: {QUESTION}") and shown[0][1]
    provisional, shown = arrived[1]
    assert not provisional and len(shown) == 1  # the final line took the provisional one's place
    assert shown[0][0].endswith(f"Caller: {QUESTION}") and not shown[0][1]
    assert len(lines(window)) == 1
    (card,) = window.copilot.cards()  # the turn's card took the early one's place
    assert card.provisional_label.isHidden() and card.suggestion.question == QUESTION
    assert "four pounds ninety-five" in card.body.text()
