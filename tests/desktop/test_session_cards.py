"""A call's session events as the window shows them: a copilot suggestion's card carries the
selector's confidence and the passage text of its sources, an autonomous answer's card its confidence,
and a transcript line travels with the moment it was said (not when it reached the window)."""

from __future__ import annotations

import time

import pytest
from pytestqt.qtbot import QtBot

from earpiece.core.calls.events import SessionEvent
from earpiece.core.engine.events import (
    BotSpeakingStarted,
    EngineEvent,
    SourceRef,
    Speaker,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
)
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.settings import CallMode
from earpiece.desktop.copilot_panel import ANSWERING_LABEL
from earpiece.desktop.main_window import MainWindow

pytestmark = pytest.mark.gui

PASSAGE = "Delivery costs 4.95 in the UK and is free above 50."


def test_a_copilot_card_shows_confidence_and_opens_the_passage_text(qtbot: QtBot, window: MainWindow) -> None:
    window.shown_call_id = "c1"
    source = SourceRef("/kb/faq.csv", "faq — How much does delivery cost?", 0.81, PASSAGE)
    suggestion = SuggestionEvent("How much is delivery?", "Delivery costs 4.95.", (source,), "extractive",
                                 turn_id=1, at=time.monotonic(), confidence=0.823)
    window.ai._on_controller_event(SessionEvent("c1", CallMode.COPILOT, suggestion))
    card = window.copilot.cards()[0]
    assert card.confidence.text() == "confidence 82 %" and not card.confidence.isHidden()
    card.source_buttons[0].click()
    assert card.passage is not None
    qtbot.waitExposed(card.passage)
    assert card.passage.text.toPlainText() == PASSAGE
    card.passage.reject()


def test_an_autonomous_answer_card_shows_its_confidence(window: MainWindow) -> None:
    window.shown_call_id = "c1"
    metrics = TurnMetrics(turn_id=2, mode="autonomous", speaker="caller",
                          question="Are you open on Saturday?", answer="Yes, from 9 to 1.", intent="question",
                          sources=["/kb/hours.md"], top_score=0.7, confidence=0.64)
    window.ai._on_controller_event(SessionEvent("c1", CallMode.AUTONOMOUS, TurnMetricsEvent(metrics)))
    card = window.copilot.cards()[0]
    assert card.suggestion.spoken and card.confidence.text() == "confidence 64 %"


def test_a_transcript_line_keeps_the_moment_it_was_said(qtbot: QtBot, window: MainWindow) -> None:
    said = time.monotonic() - 4.0  # the transcript came four seconds after the words
    window.shown_call_id = "c1"
    window.copilot.show_call("Alice", CallMode.COPILOT.value, started_at=said - 10.0)
    line = TranscriptEvent(Speaker.CALLER, "How much is delivery?", final=True, at=said)
    with qtbot.waitSignal(window.ai.transcript) as sent:
        window.ai._on_controller_event(SessionEvent("c1", CallMode.COPILOT, line))
    assert sent.args == ["c1", "caller", "How much is delivery?", said]
    assert window.copilot.transcript_lines() == ["0:10  Caller: How much is delivery?"]  # not 0:14


def test_an_autonomous_answer_shows_as_it_starts_to_be_said_not_once_it_was_said(window: MainWindow) -> None:
    """A reply takes seconds to say and its turn figures (the full card) come at its end: its first
    sentence shows as Earpiece starts saying it; a goodbye's is taken back, as no card follows it."""
    window.shown_call_id = "c1"

    def send(event: EngineEvent) -> None:
        window.ai._on_controller_event(SessionEvent("c1", CallMode.AUTONOMOUS, event))

    asked = "How much is delivery?"
    send(TranscriptEvent(Speaker.CALLER, asked, final=True, at=time.monotonic(), turn_id=1))
    send(BotSpeakingStarted(1, time.monotonic(), "Delivery costs 4.95."))
    (card,) = window.copilot.cards()
    assert card.suggestion.question == asked and card.body.text() == "Delivery costs 4.95."
    assert card.provisional_label.text() == ANSWERING_LABEL and not card.provisional_label.isHidden()
    answer = "Delivery costs 4.95. It is free above 50."
    send(TurnMetricsEvent(TurnMetrics(turn_id=1, mode="autonomous", speaker="caller", question=asked,
                                      answer=answer, intent="question", confidence=0.8)))
    (card,) = window.copilot.cards()  # the whole answer took the place of its first sentence
    assert card.body.text() == answer and card.provisional_label.isHidden()

    send(TranscriptEvent(Speaker.CALLER, "Thanks, bye.", final=True, at=time.monotonic(), turn_id=2))
    send(BotSpeakingStarted(2, time.monotonic(), "Goodbye!"))
    assert len(window.copilot.cards()) == 2
    send(TurnMetricsEvent(TurnMetrics(turn_id=2, mode="autonomous", speaker="caller", question="Thanks, bye.",
                                      answer="Goodbye!", intent="goodbye")))
    assert [c.body.text() for c in window.copilot.cards()] == [answer]
    send(BotSpeakingStarted(0, time.monotonic(), "Hello, thank you for calling."))  # no caller line: no card
    assert len(window.copilot.cards()) == 1
