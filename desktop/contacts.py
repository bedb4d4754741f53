"""Contacts, persisted as a small JSON file in the data folder (call history is sip/'s record).

Writes are atomic (temp file + replace) so a crash never leaves a half-written file; a damaged
file is moved aside with a `.bad` suffix and the app starts with an empty list rather than
refusing to start.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from earpiece.core.paths import data_dir

log = logging.getLogger(__name__)

CONTACTS_FILE = "contacts.json"


@dataclass(slots=True)
class Contact:
    name: str
    uri: str
    note: str = ""
    created_at: float = field(default_factory=time.time)


T = TypeVar("T")


class JsonListStore(Generic[T]):
    """A list of dataclass rows kept in one JSON file; every change is saved at once."""

    def __init__(self, path: Path, row_type: Callable[..., T], limit: int | None = None) -> None:
        self.path = path
        self._row_type = row_type
        self._limit = limit
        self.rows: list[T] = self._load()

    def _load(self) -> list[T]:
        if not self.path.exists():
            return []
        try:
            raw: list[dict[str, Any]] = json.loads(self.path.read_text(encoding="utf-8"))
            return [self._row_type(**row) for row in raw]
        except (ValueError, TypeError) as exc:
            bad = self.path.with_suffix(".json.bad")
            os.replace(self.path, bad)
            log.warning("%s was damaged (%s); kept it as %s and started empty", self.path, exc, bad)
            return []

    def save(self) -> None:
        if self._limit is not None:
            del self.rows[: max(0, len(self.rows) - self._limit)]
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps([asdict(row) for row in self.rows], indent=1), encoding="utf-8")  # type: ignore[call-overload]
        os.replace(tmp, self.path)

    def append(self, row: T) -> None:
        self.rows.append(row)
        self.save()

    def remove(self, row: T) -> None:
        self.rows.remove(row)
        self.save()


def contacts(folder: Path | None = None) -> JsonListStore[Contact]:
    return JsonListStore((folder or data_dir()) / CONTACTS_FILE, Contact)
