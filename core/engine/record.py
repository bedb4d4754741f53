"""The per-call record: transcript, turn metrics and what happened, saved as JSON in
`data_dir()/calls/`. It is an event observer, outside the pipeline."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from earpiece.core.engine.events import (
    BargeInEvent,
    EngineEvent,
    HangUpRequested,
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
        elif isinstance(event, TransferRequested | HangUpRequested | StageError | BargeInEvent):
            entry = {k: (str(v) if not isinstance(v, int | float) else v) for k, v in asdict(event).items()}
            entry["t"] = self._t(event.at)
            entry["event"] = type(event).__name__
            self.happenings.append(entry)

    def as_dict(self, end_reason: str) -> dict[str, Any]:
        ended = datetime.now(UTC)
        v2v = [t["voice_to_voice_ms"] for t in self.turns if t.get("voice_to_voice_ms") is not None]
        return {
            "call_id": self.call_id,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(),
            "ended_at": ended.isoformat(),
            "duration_s": round((ended - self.started_at).total_seconds(), 3),
            "end_reason": end_reason,
            "transcript": self.transcript,
            "turns": self.turns,
            "events": self.happenings,
            "summary": {"turns": len(self.turns), "voice_to_voice_ms": _percentiles(v2v)},
        }

    def save(self, end_reason: str) -> Path:
        """Write atomically: a crash mid-write leaves no half file."""
        path = calls_dir() / f"{self.call_id}.json"
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(self.as_dict(end_reason), indent=2), encoding="utf-8")
        os.replace(tmp, path)
        return path
