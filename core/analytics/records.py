"""One reader for the call records in `data_dir()/calls/`: the one format both programs write
(`core/calls/record_format.py`: the conversation, the SIP facts, an outcome and the `source`) and
the older two it replaced, the desktop's bare session record and the agent's report around it.
Older desktop records learn who called and on which account from the SIP call history
(`call_history.jsonl`, same call id).

Also deletes a call everywhere it is kept (record, any file named after the call such as a
recording, its call-history line) and applies the retention period.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NotRequired, Required

from filelock import FileLock
from pydantic import Strict, TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic reads TypedDicts from here before 3.12

from earpiece.core.engine.record import calls_dir
from earpiece.core.paths import data_dir

log = logging.getLogger(__name__)

# A file kept about a call: `<call id>.<anything>`, the id as sip.calls makes it (12 hex digits).
# Retention deletes only such files when no record dates them: never a stranger's file.
CALL_FILE = re.compile(r"[0-9a-f]{12}\.")
HISTORY_FILE = "call_history.jsonl"  # written by earpiece.sip.records.CallHistory (one JSON per line)


class CallNotFoundError(LookupError):
    pass


# The parts of a record analytics compute with, typed: a record that breaks them (a hand edit, a
# torn or foreign file) is refused as a whole, naming the field, instead of failing every view
# that reads the folder. Other fields may be anything.
Number = Annotated[float, Strict()]  # an int or a float, never a string or a bool


class _Line(TypedDict):
    t: Number
    speaker: str
    text: str
    turn: NotRequired[int]


class _Turn(TypedDict, total=False):
    turn_id: int | None
    speaker: str
    question: str
    answer: str
    intent: str
    declined: bool
    sources: list[str]
    confidence: Number | None
    end_of_speech_at: Number | None
    stt_ms: Number | None
    voice_to_voice_ms: Number | None
    speech_start_s: Number | None
    speech_ms: Number | None


class _Event(TypedDict, total=False):
    event: str
    reason: str
    at: Number | None
    t: Number | None


class _Transfer(TypedDict, total=False):
    destination: str
    succeeded: bool


class _Record(TypedDict, total=False):
    call_id: Required[str]
    started_at: Required[str]
    duration_s: Number | None
    mode: str
    source: str
    end_reason: str
    outcome: str
    knowledge_base: str
    transcript: list[_Line]
    turns: list[_Turn]
    events: list[_Event]
    transfers: list[_Transfer]
    sip: dict[str, Any] | None


RECORD_SHAPE: TypeAdapter[_Record] = TypeAdapter(_Record)


def _shape_error(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(map(str, first["loc"])) or "the record"
    more = error.error_count() - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more)" if more else "")


@dataclass(frozen=True, slots=True)
class Line:
    t: float  # seconds since the session started (when the text was available)
    speaker: str  # caller | assistant | agent
    text: str
    turn: int


@dataclass(slots=True)
class CallData:
    """A call as analytics see it, whichever process wrote the record."""

    call_id: str
    path: Path
    source: str  # "agent" (earpiece agent) | "desktop"
    mode: str
    started_at: datetime
    duration_s: float
    end_reason: str  # the session's: remote | hangup_requested | stopped | error | ...
    outcome: str = ""  # how the call ended (transferred, caller_hung_up, ...); "" in older records
    account_id: str = ""
    remote_uri: str = ""
    display_name: str = ""
    knowledge_base: str = ""
    transcript: list[Line] = field(default_factory=list)
    turns: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    transfers: list[dict[str, Any]] = field(default_factory=list)
    answered_monotonic: float | None = None  # agent records: the answer time on the turns' clock


def parse_record(
    path: Path, data: dict[str, Any], history: dict[str, dict[str, Any]] | None = None
) -> CallData:
    """Raises ValueError (with the file and the field named) when the JSON is not a call record."""
    try:
        RECORD_SHAPE.validate_python(data)
    except ValidationError as exc:
        raise ValueError(f"{path}: not a call record ({_shape_error(exc)})") from None
    try:
        call_id = str(data["call_id"])
        started = datetime.fromisoformat(str(data["started_at"]))
        call = CallData(
            call_id=call_id, path=path,
            source=str(data.get("source") or ("agent" if "outcome" in data else "desktop")),
            mode=str(data.get("mode", "")),
            started_at=started if started.tzinfo else started.replace(tzinfo=UTC),
            duration_s=float(data.get("duration_s") or 0.0), end_reason=str(data.get("end_reason", "")),
            outcome=str(data.get("outcome", "")), knowledge_base=str(data.get("knowledge_base", "")),
            transcript=[Line(float(e["t"]), str(e["speaker"]), str(e["text"]), int(e.get("turn", 0)))
                        for e in data.get("transcript", [])],
            turns=list(data.get("turns", [])), events=list(data.get("events", [])),
            transfers=list(data.get("transfers", [])),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: not a call record ({type(exc).__name__}: {exc})") from exc
    sip = data.get("sip") or (history or {}).get(call_id) or {}
    call.account_id = str(sip.get("account_id", ""))
    call.remote_uri = str(sip.get("remote_uri", ""))
    call.display_name = str(sip.get("display_name", ""))
    answered = sip.get("answered_monotonic")
    call.answered_monotonic = float(answered) if isinstance(answered, int | float) else None
    return call


def file_call_id(path: Path) -> str:
    """The call a file in the calls folder belongs to: `<id>.json`, `<id>.wav`, `<id>.summary`..."""
    return path.name.split(".", 1)[0]


def _started(history_row: dict[str, Any]) -> float:
    """A call-history line's start (Unix time); infinity when it has none (never old)."""
    value = history_row.get("started_at")
    return float(value) if isinstance(value, int | float) else float("inf")


def _written(path: Path) -> float:
    """When the file was last written; infinity if it is gone already."""
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")


def read_record(path: Path, history: dict[str, dict[str, Any]] | None = None) -> CallData:
    """Raises ValueError naming the file when it cannot be read or is not a call record."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{path}: unreadable ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: not a call record (a JSON {type(data).__name__})")
    return parse_record(path, data, history)


class CallArchive:
    """The call records in a folder (default `data_dir()/calls`), read-only except `delete`/`prune`."""

    def __init__(self, folder: Path | None = None, history_path: Path | None = None) -> None:
        self.folder = folder or calls_dir()
        self.history_path = history_path or data_dir() / HISTORY_FILE
        self.skipped: list[str] = []  # files that could not be read on the last `calls()`

    def _history(self) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        if not self.history_path.exists():
            return rows
        for line in self.history_path.read_text(encoding="utf-8").splitlines():
            try:
                row = json.loads(line)
                rows[str(row["call_id"])] = row
            except (ValueError, KeyError, TypeError):
                continue  # a torn line: the SIP history skips it too
        return rows

    def calls(self, since: datetime | None = None, account: str | None = None,
              until: datetime | None = None) -> list[CallData]:
        """Calls that started in [since, until), oldest first. Unreadable files are skipped and named
        in `skipped`, never fatal."""
        history = self._history()
        self.skipped = []
        found: list[CallData] = []
        for path in sorted(self.folder.glob("*.json")) if self.folder.exists() else []:
            try:
                call = read_record(path, history)
            except ValueError as exc:
                self.skipped.append(str(exc))
                continue
            early = since is not None and call.started_at < since
            late = until is not None and call.started_at >= until
            if not early and not late and (account is None or call.account_id == account):
                found.append(call)
        return sorted(found, key=lambda c: c.started_at)

    def _call_files(self) -> dict[str, list[Path]]:
        """Call id -> the files kept about it: its record (`<id>.json`, readable or not) and every
        file named after a call with a record, or named like a call's (`<12 hex id>.*`)."""
        files = sorted(p for p in self.folder.iterdir() if p.is_file()) if self.folder.exists() else []
        recorded = {p.stem for p in files if p.suffix == ".json"}
        found: dict[str, list[Path]] = {}
        for path in files:
            if file_call_id(path) in recorded or CALL_FILE.match(path.name):
                found.setdefault(file_call_id(path), []).append(path)
        return found

    def resolve(self, call_id: str) -> str:
        """The id of the one call whose files are named `call_id`, or whose name starts with it,
        whether or not its record can be read. Raises CallNotFoundError."""
        ids = self._call_files()
        if call_id in ids:
            return call_id
        matches = [i for i in ids if call_id and i.startswith(call_id)]
        if len(matches) != 1:
            raise CallNotFoundError(f"no call {call_id!r} in {self.folder}"
                                    + (f" ({len(matches)} ids start with it)" if matches else ""))
        return matches[0]

    def get(self, call_id: str) -> CallData:
        """The call's record. Raises CallNotFoundError naming the file when it cannot be read, or
        saying that the call kept no record (a call taken with the AI off: a recording only)."""
        path = self.folder / f"{call_id}.json"
        found = call_id if path.is_file() and path.parent == self.folder else self.resolve(call_id)
        path = self.folder / f"{found}.json"
        if not path.is_file():
            kept = ", ".join(p.name for p in self._call_files()[found])
            raise CallNotFoundError(f"call {found} has no record in {self.folder} (only {kept})")
        try:
            return read_record(path, self._history())
        except ValueError as exc:
            raise CallNotFoundError(str(exc)) from exc

    def delete(self, call_ids: Iterable[str]) -> list[str]:
        """Remove the calls' records, every file named after them (recordings, transcripts, stored
        summaries; a record that cannot be read too) and their call-history lines. Returns the ids
        removed. Ids are matched whole, never as patterns."""
        wanted = set(call_ids)
        removed: list[str] = []
        for call_id, files in self._call_files().items():
            if call_id in wanted:
                for path in files:
                    path.unlink(missing_ok=True)
                removed.append(call_id)
        self._drop_history(lambda row: str(row.get("call_id")) in wanted)
        return removed

    def prune(self, retention_days: int, now: datetime | None = None) -> list[str]:
        """Delete every call that started more than `retention_days` ago (0: keep everything).

        A call is also old when it has no readable record (a call made with the AI off keeps only
        its history line and maybe a recording; a torn record) and its history line started, or
        its files were last written, before the period: nothing about a call outlives it."""
        if retention_days <= 0:
            return []
        cutoff = (now or datetime.now(UTC)) - timedelta(days=retention_days)
        calls = self.calls()
        recorded = {c.call_id for c in calls}
        old = {c.call_id for c in calls if c.started_at < cutoff}
        old |= {call_id for call_id, row in self._history().items()
                if call_id not in recorded and _started(row) < cutoff.timestamp()}
        old |= {call_id for call_id, files in self._call_files().items() if call_id not in recorded
                and any(CALL_FILE.match(p.name) and _written(p) < cutoff.timestamp() for p in files)}
        removed = self.delete(old)
        self._drop_history(lambda row: _started(row) < cutoff.timestamp())
        if removed:
            log.info("retention: deleted %d call(s) older than %d days", len(removed), retention_days)
        return removed

    def _drop_history(self, drop: Any) -> None:
        if not self.history_path.exists():
            return
        with FileLock(str(self.history_path) + ".lock"):  # the lock CallHistory.append takes
            lines = self.history_path.read_text(encoding="utf-8").splitlines()
            kept = []
            for line in lines:
                try:
                    if drop(json.loads(line)):
                        continue
                except (ValueError, TypeError, AttributeError):
                    pass
                kept.append(line)
            if len(kept) != len(lines):
                tmp = self.history_path.with_suffix(".jsonl.tmp")
                tmp.write_text("".join(f"{line}\n" for line in kept), encoding="utf-8")
                os.replace(tmp, self.history_path)
