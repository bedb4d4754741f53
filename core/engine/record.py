"""The per-call record: transcript, turn metrics and what happened, saved as JSON in
`data_dir()/calls/` (or the folder the call controller chooses). It is an event observer, outside
the pipeline, written by whoever made it: a session on its own saves its record when it ends; the
call controller makes one per call, hands it to each of the call's sessions and saves it once the
call is over. The controller adds the call's facts (`facts`: who called, outcome, transfers,
audio), so the desktop and `earpiece agent` write one format (`core.calls.record_format`)."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from earpiece.core.calls.record_format import CallFacts, call_record, write_record
from earpiece.core.engine.events import (
    BargeInEvent,
    EngineEvent,
    HangUpRequested,
    ModeChanged,
    StageError,
    TranscriptEvent,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.paths import data_dir

CALLS_FOLDER = "calls"


def calls_dir() -> Path:
    path = data_dir() / CALLS_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def _percentiles(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    data = np.asarray(values, dtype=float)
    return {"p50": round(float(np.percentile(data, 50)), 1), "p95": round(float(np.percentile(data, 95)), 1)}


class CallRecorder:
    def __init__(self, call_id: str, mode: str) -> None:
        self.call_id = call_id
        self.mode = mode
        self.started_at = datetime.now(UTC)
        self._t0 = time.monotonic()
        self.transcript: list[dict[str, Any]] = []
        self.turns: list[dict[str, Any]] = []
        self.happenings: list[dict[str, Any]] = []
        self.facts: CallFacts | None = None  # set by the call controller
        self.folder: Path | None = None  # None: calls_dir()

    @property
    def origin(self) -> float:
        """The monotonic time of the record's t = 0: every session of the call counts from it."""
        return self._t0

    def last_turn_id(self) -> int:
        """The highest turn number recorded so far (0: none): a later session of the same call
        (after a change of knowledge base) numbers its turns on from there."""
        numbers = [t["turn_id"] for t in self.turns] + [line["turn"] for line in self.transcript]
        return max(numbers, default=0)

    def _t(self, at: float) -> float:
        return round(at - self._t0, 3)

    def observe(self, event: EngineEvent) -> None:
        if isinstance(event, TranscriptEvent):
            if event.final:
                self.transcript.append(
                    {
                        "t": self._t(event.at),
                        "speaker": str(event.speaker),
                        "text": event.text,
                        "turn": event.turn_id,
                    }
                )
        elif isinstance(event, TurnMetricsEvent):
            self.turns.append(event.metrics.as_dict())
        elif isinstance(event, TransferRequested | HangUpRequested | StageError | BargeInEvent | ModeChanged):
            if isinstance(event, ModeChanged):
                self.mode = event.mode  # the record's mode is the one the call ended in
            fields = asdict(event).items()
            entry = {k: (v if isinstance(v, int | float | tuple) else str(v)) for k, v in fields}
            entry["t"] = self._t(event.at)
            entry["event"] = type(event).__name__
            self.happenings.append(entry)

    def as_dict(self, end_reason: str) -> dict[str, Any]:
        v2v = [t["voice_to_voice_ms"] for t in self.turns if t.get("voice_to_voice_ms") is not None]
        return call_record(
            self.call_id, self.facts, mode=self.mode, started_at=self.started_at, ended_at=datetime.now(UTC),
            end_reason=end_reason, transcript=self.transcript, turns=self.turns, events=self.happenings,
            summary={"turns": len(self.turns), "voice_to_voice_ms": _percentiles(v2v)},
        )

    def save(self, end_reason: str) -> Path:
        """Write (again) atomically: a crash mid-write leaves no half file."""
        return write_record(self.folder or calls_dir(), self.call_id, self.as_dict(end_reason))
