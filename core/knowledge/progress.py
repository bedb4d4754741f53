"""What long work reports while it runs (one callback for the CLI bar and the desktop UI) and at its end."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum


class Outcome(StrEnum):
    ADDED = "added"
    UPDATED = "updated"  # the file changed: its chunks were replaced
    UNCHANGED = "unchanged"  # same content hash as before: skipped
    FAILED = "failed"
    CANCELLED = "cancelled"  # not ingested because the run was cancelled; adding it again carries on


@dataclass(frozen=True, slots=True)
class Progress:
    """`files_done` of `files_total` are finished; `current` is being worked on (None at the end)."""

    files_done: int
    files_total: int
    current: str | None
    chunks_done: int  # chunks committed so far in this run
    message: str = ""


ProgressCallback = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class FileResult:
    source: str
    outcome: Outcome
    chunks: int = 0
    new_chunks: int = 0  # chunks that were not already in the knowledge base (duplicates collapse)
    error: str = ""
    flagged: int = 0  # units screening held back (stored with their reasons, never searched)
    warnings: tuple[str, ...] = ()  # parts of the file left out (a bad CSV row, a broken PDF page)


@dataclass(slots=True)
class IngestReport:
    results: list[FileResult] = field(default_factory=list)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)
    cancelled: bool = False  # stopped early; every file before the stop is whole in the store

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    @property
    def failed(self) -> list[FileResult]:
        return [r for r in self.results if r.outcome is Outcome.FAILED]

    @property
    def chunks_written(self) -> int:
        return sum(r.new_chunks for r in self.results)
