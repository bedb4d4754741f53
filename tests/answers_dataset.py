"""The labelled answer-quality set: real public support pages of several organisations and caller questions.

Documents live under ``tests/data/answers/docs/<org>/`` (sources and licences in ``SOURCES.md``); the
questions, with their split (dev to tune on, test to report on), are in ``questions.jsonl``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

DATA_DIR = Path(__file__).resolve().parent / "data" / "answers"
QUESTIONS_FILE = DATA_DIR / "questions.jsonl"
DOCS_DIR = DATA_DIR / "docs"
DISTRACTOR_ORG = "distractors"
DOCUMENT_SUFFIXES = (".md", ".txt", ".html")

Split = Literal["dev", "test"]
Kind = Literal["answerable", "unanswerable", "hostile"]
SPLITS: tuple[Split, ...] = ("dev", "test")
KINDS: tuple[Kind, ...] = ("answerable", "unanswerable", "hostile")


@dataclass(frozen=True)
class LabelledQuestion:
    """One caller question. ``facts``: each inner tuple is one required fact, given as accepted spellings."""

    id: str
    org: str
    split: Split
    kind: Kind
    question: str
    facts: tuple[tuple[str, ...], ...]
    source: str | None
    follow_up_of: str | None
    must_not_say: tuple[str, ...]
    addition: str | None = None  # a labelled dev-only question added after the balanced split was made

    @property
    def source_path(self) -> Path | None:
        return DATA_DIR / self.source if self.source else None


class DatasetError(ValueError):
    """A line of questions.jsonl does not have the expected shape."""


def _parse(line_no: int, raw: str) -> LabelledQuestion:
    try:
        row = json.loads(raw)
        split, kind = row["split"], row["kind"]
        if split not in SPLITS or kind not in KINDS:
            raise DatasetError(f"questions.jsonl line {line_no}: split {split!r} / kind {kind!r} unknown")
        return LabelledQuestion(
            id=str(row["id"]),
            org=str(row["org"]),
            split=cast(Split, split),
            kind=cast(Kind, kind),
            question=str(row["question"]),
            facts=tuple(tuple(str(a) for a in alternatives) for alternatives in row["facts"]),
            source=row["source"],
            follow_up_of=row["follow_up_of"],
            must_not_say=tuple(str(s) for s in row["must_not_say"]),
            addition=row.get("addition"),
        )
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise DatasetError(f"questions.jsonl line {line_no}: {exc}") from exc


def load_questions(path: Path = QUESTIONS_FILE) -> list[LabelledQuestion]:
    """All labelled questions in file order (a follow-up always comes after its parent)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [_parse(n, raw) for n, raw in enumerate(lines, start=1) if raw.strip()]


def documents(include_distractors: bool = True) -> list[Path]:
    """Every document of the set, sorted; the knowledge base a responder is evaluated against."""
    return sorted(
        p
        for p in DOCS_DIR.rglob("*")
        if p.is_file()
        and p.suffix in DOCUMENT_SUFFIXES
        and (include_distractors or p.parent.name != DISTRACTOR_ORG)
    )


def organisations() -> list[str]:
    """The organisations whose pages the set holds (distractors excluded)."""
    return sorted(p.name for p in DOCS_DIR.iterdir() if p.is_dir() and p.name != DISTRACTOR_ORG)
