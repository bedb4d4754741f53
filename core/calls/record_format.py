"""The one call-record format (`<calls_dir>/<call_id>.json`), written for every call by the desktop
and by `earpiece agent`: the conversation (`core.engine.record.CallRecorder` gathers it from the
session's events) and the call's facts (who called, how it ended as an `Outcome`, the transfers
tried, the audio figures, notes; the call controller gathers them from the phone line).

Kept apart and light (standard library only) because the supervisor of `earpiece agent --supervise`
writes the records of calls lost in a crash and must not load the voice engine.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    CALLER_HUNG_UP = "caller_hung_up"
    AGENT_HUNG_UP = "agent_hung_up"  # the session asked to hang up (goodbye or silence timeout)
    TRANSFERRED = "transferred"
    TRANSFER_FAILED = "transfer_failed"  # asked for a person, the transfer did not happen
    ENDED_AT_SHUTDOWN = "ended_at_shutdown"  # the process stopped: goodbye (unless hurried), hang-up
    ENDED_STALE = "ended_stale"  # no ACK, or no audio from the caller for too long: ended by the line
    LOST_IN_CRASH = "lost_in_crash"  # the process died during the call (written from its journal)
    AI_UNAVAILABLE = "ai_unavailable"  # no voice session could be set up (models, knowledge base)
    ERROR = "error"


# The call controller's end reason when a call's voice session could not be set up (the models or
# the knowledge base did not load, the call's audio was gone): `earpiece agent` then hangs up, on
# the desktop the person on the call goes on without the AI.
AI_UNAVAILABLE = "ai unavailable"


class RecordSource(StrEnum):
    """Which program carried the call."""

    AGENT = "agent"
    DESKTOP = "desktop"


@dataclass(slots=True)
class TransferAttempt:
    destination: str
    requested_at: float  # monotonic
    said: str
    code: int = 0  # last NOTIFY status (0: none yet)
    final: bool = False
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.final and 200 <= self.code < 300

    def as_dict(self) -> dict[str, Any]:
        return {"destination": self.destination, "said": self.said, "code": self.code, "final": self.final,
                "succeeded": self.succeeded, "error": self.error}


@dataclass(slots=True)
class CallFacts:
    """What the call controller learns about one call from the phone line."""

    call_id: str
    source: RecordSource = RecordSource.DESKTOP
    account_id: str = ""
    remote_uri: str = ""
    display_name: str = ""
    offered_at: float | None = None  # monotonic: the INVITE arrived (None: an outgoing call)
    answered_at: float | None = None  # monotonic: the call connected
    knowledge_base: str = ""
    codec: str = ""
    sip_end_code: int = 0
    sip_end_reason: str = ""
    ended_stale: bool = False  # the line ended it: no ACK, or no audio for too long
    disconnected: bool = False
    transfers: list[TransferAttempt] = field(default_factory=list)
    shutdown_goodbye: bool = False
    audio: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def outcome(self, session_end_reason: str) -> Outcome:
        """How the call ended, from the facts and the last session's end reason: "shutdown" (the agent
        stops) or "stopped" (the desktop quits: `CallController.stop_all`) while the line was still up
        is an end at shutdown; a call that goes on without its AI is rewritten when the line ends."""
        if session_end_reason == "crash":
            return Outcome.LOST_IN_CRASH
        if session_end_reason == AI_UNAVAILABLE:
            return Outcome.AI_UNAVAILABLE
        if any(t.succeeded for t in self.transfers):
            return Outcome.TRANSFERRED
        stopped_with_the_line_up = session_end_reason == "stopped" and not self.disconnected
        if self.shutdown_goodbye or session_end_reason == "shutdown" or stopped_with_the_line_up:
            return Outcome.ENDED_AT_SHUTDOWN
        if self.transfers:
            return Outcome.TRANSFER_FAILED
        if self.ended_stale:
            return Outcome.ENDED_STALE
        if session_end_reason == "hangup_requested":
            return Outcome.AGENT_HUNG_UP
        if session_end_reason == "error":
            return Outcome.ERROR
        return Outcome.CALLER_HUNG_UP

    def record_fields(self, session_end_reason: str) -> dict[str, Any]:
        """The record's fields beside the conversation."""
        ring_ms = None
        if self.answered_at is not None and self.offered_at is not None:
            ring_ms = round((self.answered_at - self.offered_at) * 1000, 1)
        return {
            "source": str(self.source),
            "outcome": str(self.outcome(session_end_reason)),
            "knowledge_base": self.knowledge_base,
            "sip": {
                "account_id": self.account_id,
                "remote_uri": self.remote_uri,
                "display_name": self.display_name,
                "answered": self.answered_at is not None,
                "codec": self.codec,
                "ring_ms": ring_ms,
                "end_code": self.sip_end_code,
                "end_reason": self.sip_end_reason,
                # The machine's monotonic clock (shared by its processes): lets a benchmark line the
                # turns' `end_of_speech_at` up with its own clock.
                "answered_monotonic": self.answered_at,
            },
            "transfers": [t.as_dict() for t in self.transfers],
            "audio": self.audio,
            "notes": self.notes,
        }


def call_record(
    call_id: str,
    facts: CallFacts | None,
    *,
    mode: str,
    started_at: datetime,
    ended_at: datetime,
    end_reason: str,
    transcript: Sequence[dict[str, Any]] = (),
    turns: Sequence[dict[str, Any]] = (),
    events: Sequence[dict[str, Any]] = (),
    summary: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A whole record. `end_reason` is the session's: remote | hangup_requested | stopped | error |
    shutdown | crash, or the controller's `AI_UNAVAILABLE`. Without `facts` (a session run outside the
    call controller: tests, `earpiece selfcheck`) the record holds the conversation only."""
    record: dict[str, Any] = {
        "call_id": call_id,
        "mode": mode,
        "started_at": started_at.isoformat(),
        "ended_at": ended_at.isoformat(),
        "duration_s": round((ended_at - started_at).total_seconds(), 3),
        "end_reason": end_reason,
        "transcript": list(transcript),
        "turns": list(turns),
        "events": list(events),
        "summary": summary or {"turns": len(turns)},
    }
    return record | (facts.record_fields(end_reason) if facts is not None else {})


def write_record(folder: Path, call_id: str, record: dict[str, Any]) -> Path:
    """Write `<folder>/<call_id>.json` atomically: a crash mid-write leaves no half file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{call_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path
