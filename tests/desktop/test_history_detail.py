"""The history opens a past call (transcript with times and speakers, answers with sources and
timings) instead of redialling, speaks of who hung up in plain words, and searches by number,
date and words said."""

from __future__ import annotations

import time
import wave
from dataclasses import replace
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from earpiece.core.analytics import CallArchive
from earpiece.core.analytics.stored_summary import StoredSummary, summary_of, summary_path, write_stored
from earpiece.core.calls.record_format import CallFacts, TransferAttempt
from earpiece.core.engine.events import Speaker, TranscriptEvent, TurnMetricsEvent
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.engine.record import CallRecorder
from earpiece.desktop.call_detail import CallDetail
from earpiece.desktop.call_recording import recording_path
from earpiece.desktop.contacts import Contact, JsonListStore
from earpiece.desktop.history_panel import HistoryPanel
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord
from tests.desktop.widgets import cell, list_text

pytestmark = pytest.mark.gui


def saved_call(call_id: str, question: str, answer: str) -> None:
    recorder = CallRecorder(call_id, "autonomous")
    start = time.monotonic()
    recorder._t0 = start  # the record's clock: the transcript times below are seconds into the call
    recorder.observe(TranscriptEvent(Speaker.CALLER, question, True, start + 4.2, 1))
    recorder.observe(TranscriptEvent(Speaker.ASSISTANT, answer, True, start + 6.0, 1))
    recorder.observe(TurnMetricsEvent(TurnMetrics(
        turn_id=1, mode="autonomous", speaker="caller", question=question, answer=answer,
        endpoint_delay_ms=600.0, stt_ms=500.0, retrieval_ms=50.0, llm_ttft_ms=150.0, tts_ttfb_ms=100.0,
        voice_to_voice_ms=900.0, sources=["faq.md"])))
    recorder.save("remote")


def history_line(call_id: str, uri: str, started: float, reason: str,
                 direction: CallDirection = CallDirection.INBOUND) -> CallRecord:
    record = CallRecord(call_id, "desk", direction, uri, "", started, started + 2, started + 62, 200, reason)
    CallHistory().append(record)
    return record


@pytest.fixture
def panel(qtbot: QtBot, tmp_path: Path) -> HistoryPanel:
    widget = HistoryPanel(JsonListStore(tmp_path / "contacts.json", Contact))
    qtbot.addWidget(widget)
    widget.show()
    return widget


def test_double_click_opens_the_call_and_does_not_redial(qtbot: QtBot, panel: HistoryPanel) -> None:
    saved_call("c-delivery", "How much does delivery cost?", "Delivery costs 4.95 euros.")
    history_line("c-delivery", "sip:alice@example.org", time.time() - 60, "hung up by the other party")
    panel.show_history(CallHistory().load())

    rect = panel.history.visualRect(panel.history.model().index(0, 2))
    with qtbot.assertNotEmitted(panel.call_requested):
        qtbot.mouseClick(panel.history.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(panel.history.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    detail = panel.detail
    assert detail is not None and detail.isVisible()
    lines = [list_text(detail.transcript, i) for i in range(detail.transcript.count())]
    assert lines == ["0:04 Caller: How much does delivery cost?", "0:06 Earpiece: Delivery costs 4.95 euros."]
    answer = list_text(detail.answers, 0)
    assert "Q: How much does delivery cost?" in answer and "Sources: faq.md" in answer
    assert "Answered in 0.9 s: listening 0.6, understanding 0.2, speaking 0.1" in answer
    assert "sip:alice@example.org" in detail.heading.text()
    assert detail.heading.text().endswith("1:00, autonomous mode; ended: the caller hung up")
    assert detail.recording.isHidden()  # not recorded


def test_a_recorded_call_opens_with_its_recording(qtbot: QtBot, panel: HistoryPanel) -> None:
    saved_call("c-recorded", "When are you open?", "From 9 to 5.")
    history_line("c-recorded", "sip:bob@example.org", time.time() - 60, "hung up here")
    with wave.open(str(recording_path("c-recorded")), "wb") as out:  # as the engine leaves it
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        out.writeframes(bytes(32000))
    panel.show_history(CallHistory().load())
    assert cell(panel.history, 0, 4) == "you hung up  (recorded)"
    panel.open_call(0)
    detail = panel.detail
    assert detail is not None and not detail.recording.isHidden()
    assert detail.recording.label.text() == f"Recording: {recording_path('c-recorded')}"
    panel.delete_call("c-recorded")  # deleting the call deletes its recording
    assert not recording_path("c-recorded").exists()


def test_who_hung_up_in_plain_words(panel: HistoryPanel) -> None:
    now = time.time()
    history_line("c1", "sip:bob@example.org", now - 300, "hung up here")
    history_line("c2", "sip:carol@example.org", now - 200, "hung up by the other party")
    history_line("c3", "sip:dave@example.org", now - 100, "hung up by the other party",
                 CallDirection.OUTBOUND)
    panel.show_history(CallHistory().load())
    outcomes = [cell(panel.history, row, 4) for row in range(3)]
    assert outcomes == ["the person you called hung up", "the caller hung up", "you hung up"]


def test_search_by_number_date_and_words_said(panel: HistoryPanel) -> None:
    saved_call("c-refund", "How long do refunds take?", "Refunds take five days.")
    history_line("c-refund", "sip:0612345678@example.org", time.time() - 86_400 * 3, "hung up here")
    history_line("c-other", "sip:0799999999@example.org", time.time() - 60, "hung up here")
    panel.show_history(CallHistory().load())

    def shown() -> list[str]:
        return [cell(panel.history, r, 2) for r in range(panel.history.rowCount())
                if not panel.history.isRowHidden(r)]

    panel.search.setText("0612")
    assert shown() == ["sip:0612345678@example.org"]
    panel.search.setText("refunds take")
    assert shown() == ["sip:0612345678@example.org"]
    panel.search.setText(time.strftime("%Y-%m-%d"))
    assert shown() == ["sip:0799999999@example.org"]
    panel.search.setText("")
    assert len(shown()) == 2


def test_the_call_records_outcome_is_told_beside_who_hung_up(qtbot: QtBot, panel: HistoryPanel) -> None:
    recorder = CallRecorder("c-transfer", "autonomous")
    asked = TransferAttempt("sip:desk@example.org", 0.0, "a person")  # no NOTIFY came back
    recorder.facts = CallFacts("c-transfer", transfers=[asked])
    recorder.save("remote")
    history_line("c-transfer", "sip:erin@example.org", time.time() - 60, "hung up by the other party")
    panel.show_history(CallHistory().load())
    panel.open_call(0)
    assert panel.detail is not None
    assert panel.detail.heading.text().endswith(
        "ended: the caller hung up — the caller asked for a person, but the transfer did not go through")

    alone = CallDetail(CallArchive().get("c-transfer"))  # a record without a SIP history line
    qtbot.addWidget(alone)
    assert alone.heading.text().endswith(
        "ended: the caller asked for a person, but the transfer did not go through")


def test_the_call_opens_with_its_summary_saying_who_wrote_it(qtbot: QtBot) -> None:
    saved_call("c-summary", "How much does delivery cost?", "Delivery costs 4.95 euros.")
    call = CallArchive().get("c-summary")
    detail = CallDetail(call)
    qtbot.addWidget(detail)
    assert detail.summary.text().startswith(
        'Summary (from the transcript): Caller asked: "How much does delivery cost?" - Delivery costs 4.95')
    assert not summary_path(call.path).exists()  # opening a call writes nothing

    extractive = summary_of(call)
    written = "The caller asked what delivery costs and was told 4.95 euros."
    write_stored(call, StoredSummary(replace(extractive, written=written), model_tried=True))
    detail = CallDetail(call)
    qtbot.addWidget(detail)
    assert detail.summary.text() == (
        f"Summary (written by the AI model, checked against the transcript): {written}")
