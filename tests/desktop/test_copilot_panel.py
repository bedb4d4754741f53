"""The copilot panel as an agent reads it: transcript lines with the time into the call and the
speaker, cards with their confidence, a source that opens its passage, the "no confident answer" card
with its nearest passages greyed out, and a spoken-suggestions toggle that does not read like the
Whisper model."""

from __future__ import annotations

import time

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from earpiece.desktop.copilot_panel import NO_CONFIDENT_ANSWER, CopilotPanel, SourceView, SuggestionView

pytestmark = pytest.mark.gui

DELIVERY = SourceView("faq — How much does delivery cost?", "/kb/faq.csv", 0.81,
                      "Delivery costs 4.95 in the UK and is free above 50.")


def _darkest(widget: QWidget) -> int:
    """The lightness (0-255) of the darkest pixel the widget draws: its text."""
    image = widget.grab().toImage()
    pixels = ((x, y) for x in range(image.width()) for y in range(image.height()))
    return min(QColor(image.pixel(x, y)).lightness() for x, y in pixels)


@pytest.fixture
def panel(qtbot: QtBot) -> CopilotPanel:
    widget = CopilotPanel()
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_transcript_lines_say_when_and_who(panel: CopilotPanel) -> None:
    answered = time.monotonic() - 62.4  # the call was answered a minute ago
    panel.show_call("Bob <sip:bob@example.org>", "copilot", answered)
    panel.add_transcript("caller", "How much is delivery?", answered + 3.2)
    panel.add_transcript("agent", "Let me check.")  # now
    assert panel.transcript_lines() == ["0:03  Caller: How much is delivery?", "1:02  Agent: Let me check."]
    panel.show_call("Carol <sip:carol@example.org>", "copilot")  # the next call counts from its own answer
    panel.add_transcript("caller", "Hello?")
    assert panel.transcript_lines() == ["0:00  Caller: Hello?"]


def test_the_callers_words_so_far_show_greyed_until_the_final_line_replaces_them(panel: CopilotPanel) -> None:
    answered = time.monotonic() - 30.0
    panel.show_call("Bob <sip:bob@example.org>", "copilot", answered)
    panel.add_transcript("caller", "How much is", answered + 3.0, provisional=True)
    line = panel.transcript.item(0)
    assert panel.transcript_lines() == ["0:03  Caller: How much is"] and panel.is_provisional(0)
    assert line.font().italic() and line.foreground().color() == panel.palette().color(
        QPalette.ColorRole.PlaceholderText)
    panel.add_transcript("agent", "Mm-hm.", answered + 4.0)  # the agent's line between the caller's words
    panel.add_transcript("caller", "How much is delivery", answered + 5.0, provisional=True)
    assert panel.transcript_lines() == ["0:05  Caller: How much is delivery", "0:04  Agent: Mm-hm."]
    panel.add_transcript("caller", "How much is delivery to Leeds?", answered + 6.0)
    assert panel.transcript_lines() == ["0:06  Caller: How much is delivery to Leeds?", "0:04  Agent: Mm-hm."]
    assert not panel.is_provisional(0) and not line.font().italic()
    assert line.foreground().color() in (QColor("#0072B2"), QColor("#56B4E9"))  # the caller's colour
    panel.add_transcript("caller", "And to York?", answered + 9.0)  # the next turn is a line of its own
    assert panel.transcript_lines()[2:] == ["0:09  Caller: And to York?"]


def test_a_card_shows_its_confidence_and_a_source_opens_its_passage(
        qtbot: QtBot, panel: CopilotPanel) -> None:
    card = panel.add_suggestion(SuggestionView("Delivery costs 4.95.", "How much is delivery?", (DELIVERY,),
                                               confidence=0.823))
    assert not card.confidence.isHidden() and card.confidence.text() == "confidence 82 %"
    assert card.body.text() == "Delivery costs 4.95."
    assert [b.text() for b in card.source_buttons] == ["faq — How much does delivery cost? (0.81)"]
    card.source_buttons[0].click()
    dialog = card.passage
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.text.toPlainText() == DELIVERY.excerpt
    assert "/kb/faq.csv" in dialog.where.text()
    dialog.reject()
    unknown = panel.add_suggestion(SuggestionView("Delivery costs 4.95.", sources=(DELIVERY,)))
    assert unknown.confidence.isHidden()  # no figure is made up when none came with the card


def test_no_confident_answer_greys_out_the_nearest_passages(qtbot: QtBot, panel: CopilotPanel) -> None:
    card = panel.add_suggestion(SuggestionView("", "Do you ship to Mars?", (DELIVERY,), confidence=0.12))
    assert card.body.text() == NO_CONFIDENT_ANSWER and card.body.font().italic()
    assert card.confidence.text() == "confidence 12 %"
    assert card.sources_label.text() == "Nearest passages (not an answer):"
    assert not card.sources_label.isEnabled()
    assert not card.copy_button.isEnabled()
    button = card.source_buttons[0]
    confident = panel.add_suggestion(SuggestionView("Delivery costs 4.95.", sources=(DELIVERY,)))
    qtbot.waitUntil(lambda: button.isVisible() and confident.source_buttons[0].isVisible())
    # as drawn: the nearest passage's text is light grey, a source of an answer is dark
    assert _darkest(button) > _darkest(confident.source_buttons[0]) + 60
    button.click()  # greyed, yet the agent can still read why nothing was suggested
    assert card.passage is not None and card.passage.text.toPlainText() == DELIVERY.excerpt


def test_spoken_suggestions_toggle_does_not_read_like_the_whisper_model(panel: CopilotPanel) -> None:
    assert "whisper" not in panel.whisper.text().lower()
    assert "headset" in panel.whisper.text() and "caller does not hear" in panel.whisper.toolTip()
