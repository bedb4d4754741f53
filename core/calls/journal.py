"""Calls in progress, on disk: one small JSON file per call in `<calls_dir>/in-flight/`, written when
the call is offered, updated when it is answered and removed once its record is written.

A process that dies (abort, kill -9, power loss) cannot write its calls' records; the files it
leaves behind can. `recover_lost_calls` turns the entries of processes that are no longer running
into call records whose outcome is `lost_in_crash` (the supervisor runs it right after a crash,
and every agent at start-up, which covers restarts by systemd).
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from earpiece.core.calls.record_format import CallFacts, RecordSource, call_record, write_record

log = logging.getLogger(__name__)

IN_FLIGHT = "in-flight"


class CallJournal:
    def __init__(self, calls_dir: Path) -> None:
        self.folder = calls_dir / IN_FLIGHT
        self.pid = os.getpid()

    def offered(self, facts: CallFacts) -> None:
        self._write(facts, answered_at=None)

    def answered(self, facts: CallFacts) -> None:
        self._write(facts, answered_at=time.time())

    def ended(self, call_id: str) -> None:
        try:
            (self.folder / f"{call_id}.json").unlink(missing_ok=True)
        except OSError as exc:
            log.warning("in-flight journal: could not remove %s: %s", call_id, exc)

    def _write(self, facts: CallFacts, *, answered_at: float | None) -> None:
        entry = {
            "call_id": facts.call_id,
            "pid": self.pid,
            "account_id": facts.account_id,
            "remote_uri": facts.remote_uri,
            "display_name": facts.display_name,
            "knowledge_base": facts.knowledge_base,
            "source": str(facts.source),
            "offered_at": time.time() - (time.monotonic() - (facts.offered_at or time.monotonic())),
            "answered_at": answered_at,
        }
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{facts.call_id}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(entry), encoding="utf-8")
            os.replace(tmp, path)
        except OSError as exc:  # the call goes on; only its record after a crash is at stake
            log.warning("in-flight journal: could not write %s: %s", facts.call_id, exc)


def recover_lost_calls(calls_dir: Path, cause: str) -> list[Path]:
    """Write a `lost_in_crash` record for every journal entry whose process is gone; returns them."""
    folder = calls_dir / IN_FLIGHT
    written: list[Path] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
            if _running(int(entry["pid"])):
                continue  # another agent sharing this folder, still carrying the call
            written.append(write_record(calls_dir, str(entry["call_id"]), lost_call_record(entry, cause)))
            path.unlink()
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("in-flight journal: %s could not be recovered: %s", path.name, exc)
    return written


def lost_call_record(entry: dict[str, Any], cause: str) -> dict[str, Any]:
    """The record of a call whose process died during it (`lost_in_crash`; what was said is not known)."""
    offered, answered, now = float(entry["offered_at"]), entry.get("answered_at"), time.time()
    facts = CallFacts(
        str(entry["call_id"]), source=RecordSource(entry.get("source", RecordSource.AGENT)),
        account_id=str(entry.get("account_id", "")), remote_uri=str(entry.get("remote_uri", "")),
        display_name=str(entry.get("display_name", "")), knowledge_base=str(entry.get("knowledge_base", "")),
        sip_end_reason="the process ended during the call",
        notes=[f"lost: {cause} (pid {entry['pid']}); what was said is not known"],
    )
    record = call_record(
        facts.call_id, facts, mode="autonomous", started_at=datetime.fromtimestamp(offered, UTC),
        ended_at=datetime.fromtimestamp(now, UTC),  # when the loss was noticed
        end_reason="crash",
    )
    record["sip"]["answered"] = answered is not None
    return record


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
