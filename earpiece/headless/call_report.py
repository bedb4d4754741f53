"""The JSON written for every call the headless agent answered: the session's transcript and turn
metrics, plus what only the SIP side knows (who called, codec, frame gaps, transfer, outcome)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from earpiece.sip.events import STALE_CALL_ENDED

if TYPE_CHECKING:
    from earpiece.core.engine import CallRecorder


class Outcome(StrEnum):
    CALLER_HUNG_UP = "caller_hung_up"
    AGENT_HUNG_UP = "agent_hung_up"  # goodbye or silence timeout
    TRANSFERRED = "transferred"
    TRANSFER_FAILED = "transfer_failed"  # asked for a person, the transfer did not happen
    ENDED_AT_SHUTDOWN = "ended_at_shutdown"  # the agent stopped: it said goodbye and hung up
    ENDED_STALE = "ended_stale"  # no ACK, or no audio from the caller for too long: ended by the line
    LOST_IN_CRASH = "lost_in_crash"  # the agent process died during the call (written from its journal)
    ERROR = "error"


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


@dataclass(slots=True)
class CallFacts:
    """What the agent learnt about one call from the SIP engine."""

    call_id: str
    account_id: str
    remote_uri: str
    display_name: str
    offered_at: float  # monotonic: the INVITE arrived
    answered_at: float | None = None
    codec: str = ""
    sip_end_code: int = 0
    sip_end_reason: str = ""
    disconnected: bool = False
    transfers: list[TransferAttempt] = field(default_factory=list)
    shutdown_goodbye: bool = False
    notes: list[str] = field(default_factory=list)


def outcome_of(facts: CallFacts, session_end_reason: str) -> Outcome:
    if any(t.succeeded for t in facts.transfers):
        return Outcome.TRANSFERRED
    if facts.shutdown_goodbye:
        return Outcome.ENDED_AT_SHUTDOWN
    if facts.transfers:
        return Outcome.TRANSFER_FAILED
    if facts.sip_end_reason.startswith(STALE_CALL_ENDED):
        return Outcome.ENDED_STALE
    if session_end_reason == "hangup_requested":
        return Outcome.AGENT_HUNG_UP
    if session_end_reason == "error":
        return Outcome.ERROR
    return Outcome.CALLER_HUNG_UP


def call_report(
    recorder: CallRecorder,
    facts: CallFacts,
    *,
    session_end_reason: str,
    kb_name: str,
    audio: dict[str, Any],
) -> dict[str, Any]:
    report = recorder.as_dict(session_end_reason)
    report["outcome"] = str(outcome_of(facts, session_end_reason))
    report["knowledge_base"] = kb_name
    report["sip"] = {
        "account_id": facts.account_id,
        "remote_uri": facts.remote_uri,
        "display_name": facts.display_name,
        "codec": facts.codec,
        "ring_ms": round((facts.answered_at - facts.offered_at) * 1000, 1) if facts.answered_at else None,
        "end_code": facts.sip_end_code,
        "end_reason": facts.sip_end_reason,
        # Monotonic clock of the machine (shared by every process on it): lets a benchmark line
        # the turns' `end_of_speech_at` up with its own clock.
        "answered_monotonic": facts.answered_at,
    }
    report["transfers"] = [
        {
            "destination": t.destination,
            "said": t.said,
            "code": t.code,
            "final": t.final,
            "succeeded": t.succeeded,
            "error": t.error,
        }
        for t in facts.transfers
    ]
    report["audio"] = audio
    report["notes"] = facts.notes
    return report


def write_report(folder: Path, call_id: str, report: dict[str, Any]) -> Path:
    """Write atomically: a crash mid-write leaves no half file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{call_id}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)
    return path
