"""A past call opened from the history: who, when, how it ended, its summary, the transcript with times and
speakers, every answer with its sources and timings, and its recording when one was made. Read from
the call record (`core.analytics.records`), never written."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.analytics.records import CallData
from earpiece.core.analytics.stored_summary import summary_of
from earpiece.core.calls.record_format import Outcome
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.desktop.call_recording import recordings
from earpiece.desktop.copilot_panel import SPEAKER_LABELS, plain_label
from earpiece.desktop.latency_panel import latency_sample
from earpiece.desktop.latency_words import strip_text
from earpiece.desktop.plain_words import clock, end_reason_text, outcome_text
from earpiece.sip.records import CallRecord

_METRIC_FIELDS = {f.name for f in fields(TurnMetrics)}
# Outcomes the SIP history's line already says (who hung up, a transfer); the others are added to it.
_TOLD_BY_THE_LINE = frozenset({Outcome.CALLER_HUNG_UP, Outcome.TRANSFERRED})


def transcript_lines(call: CallData) -> list[str]:
    """"0:04 Caller: how much is delivery?" — time since the call's start, speaker, text."""
    return [f"{clock(line.t)} {SPEAKER_LABELS.get(line.speaker, line.speaker.capitalize())}: {line.text}"
            for line in call.transcript]


def turn_metrics(turn: dict[str, Any]) -> TurnMetrics | None:
    """A record's turn as the engine wrote it; None for a turn the record cannot describe."""
    try:
        return TurnMetrics(**{k: v for k, v in turn.items() if k in _METRIC_FIELDS})
    except TypeError:
        return None


def answer_lines(call: CallData) -> list[str]:
    """One entry per answered question: question, answer, sources and timings."""
    entries = []
    for turn in call.turns:
        metrics = turn_metrics(turn)
        if metrics is None or not (metrics.question or metrics.answer):
            continue
        parts = [f"Q: {metrics.question}", f"A: {metrics.answer or '(no confident answer)'}"]
        if metrics.sources:
            parts.append("Sources: " + "; ".join(dict.fromkeys(metrics.sources)))
        if metrics.voice_to_voice_ms:
            parts.append(strip_text(latency_sample(metrics)).capitalize())
        entries.append("\n".join(parts))
    return entries


def heading(call: CallData, line: CallRecord | None = None) -> str:
    """Who, when, how long and how it ended; the SIP history's line (`line`) knows the talk time and
    who hung up better than the AI session's record."""
    who = call.display_name or call.remote_uri or "unknown caller"
    if line is not None:
        ended = end_reason_text(line.end_reason, line.direction.value == "outbound")
        if call.outcome and call.outcome not in _TOLD_BY_THE_LINE:
            ended += f" — {outcome_text(call.outcome)}"
        talk = line.duration_s
    else:
        ended, talk = outcome_text(call.outcome, call.end_reason), call.duration_s
    kb = f", knowledge base {call.knowledge_base}" if call.knowledge_base else ""
    return (f"{who} — {call.started_at.astimezone():%Y-%m-%d %H:%M}, {clock(talk)}, "
            f"{call.mode or 'no AI'} mode{kb}; ended: {ended or 'unknown'}")


def summary_text(call: CallData) -> str:
    """The call's stored summary (made on the spot, and not stored, when missing), saying who wrote it."""
    summary = summary_of(call)
    if summary.source == "llm":
        return f"Summary (written by the AI model, checked against the transcript): {summary.text}"
    return f"Summary (from the transcript): {summary.text}"


def open_recording(path: Path) -> bool:
    """Play the recording in the system's audio player."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))


def play_labels(paths: list[Path]) -> list[tuple[str, Path]]:
    """"Play recording", or "Play part N" for each part of a call recorded in several goes."""
    if len(paths) == 1:
        return [("Play recording", paths[0])]
    return [(f"Play part {n}", path) for n, path in enumerate(paths, start=1)]


class RecordingRow(QWidget):
    """"Recording: <file>" and a button that plays it; hidden when the call was not recorded."""

    def __init__(self, call_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.paths = recordings(call_id)
        self.label = plain_label(("Recording: " if len(self.paths) == 1 else "Recordings: ")
                                 + ", ".join(str(p) for p in self.paths))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        self.play: list[QPushButton] = []
        for text, path in play_labels(self.paths):
            button = QPushButton(text)
            button.setToolTip(str(path))
            button.clicked.connect(lambda _checked=False, p=path: open_recording(p))
            layout.addWidget(button)
            self.play.append(button)
        self.setVisible(bool(self.paths))


def _list(lines: list[str], empty: str) -> QListWidget:
    widget = QListWidget()
    widget.setWordWrap(True)
    widget.setAlternatingRowColors(True)
    widget.addItems(lines or [empty])
    return widget


class CallDetail(QDialog):
    def __init__(self, call: CallData, line: CallRecord | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.call = call
        self.setWindowTitle(f"Call with {call.display_name or call.remote_uri or call.call_id}")
        self.heading = plain_label(heading(call, line))
        self.summary = plain_label(summary_text(call))
        self.recording = RecordingRow(call.call_id)
        self.transcript = _list(transcript_lines(call), "No transcript: the AI was off for this call.")
        self.answers = _list(answer_lines(call), "No questions were answered in this call.")
        self.tabs = QTabWidget()
        self.tabs.addTab(self.transcript, "Transcript")
        self.tabs.addTab(self.answers, "Answers and timings")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.summary)
        layout.addWidget(self.recording)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(buttons)
        self.resize(720, 520)
