"""Call history: one JSON line per finished call in `data_dir()/call_history.jsonl`."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from filelock import FileLock

from earpiece.core.paths import data_dir
from earpiece.sip.events import CallDirection

HISTORY_FILE = "call_history.jsonl"


@dataclass(frozen=True, slots=True)
class CallRecord:
    call_id: str
    account_id: str
    direction: CallDirection
    remote_uri: str
    display_name: str
    started_at: float  # wall clock (time.time())
    answered_at: float | None
    ended_at: float
    end_code: int
    end_reason: str

    @property
    def duration_s(self) -> float:
        """Talk time (0 for unanswered calls)."""
        return 0.0 if self.answered_at is None else max(0.0, self.ended_at - self.answered_at)


class CallHistory:
    """Append-only store; safe for several processes (a file lock around each append)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or data_dir() / HISTORY_FILE
        self._lock = FileLock(str(self.path) + ".lock")

    def append(self, record: CallRecord) -> None:
        line = json.dumps({**asdict(record), "duration_s": round(record.duration_s, 3)}, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as out:
            out.write(line + "\n")

    def load(self, limit: int | None = None) -> list[CallRecord]:
        """Newest last; lines that cannot be read (a torn write) are skipped, never fatal."""
        if not self.path.exists():
            return []
        records: list[CallRecord] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
                data.pop("duration_s", None)
                data["direction"] = CallDirection(data["direction"])
                records.append(CallRecord(**data))
            except (ValueError, TypeError, KeyError):
                continue
        return records[-limit:] if limit else records
