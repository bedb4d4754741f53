"""The labelled questions and documents of tests/data/answers (helper-built from public pages)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parents[2] / "tests" / "data" / "answers"
DISTRACTORS = "distractors"
KINDS = ("answerable", "unanswerable", "hostile")
SPLITS = ("dev", "test")


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    org: str
    split: str
    kind: str
    question: str
    facts: tuple[tuple[str, ...], ...]  # every fact must be said, in any of its spellings
    follow_up_of: str | None
    must_not_say: tuple[str, ...]


def load(split: str | None = None) -> list[Case]:
    path = DATA / "questions.jsonl"
    cases = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            case = Case(
                row["id"], row["org"], row["split"], row["kind"], row["question"],
                tuple(tuple(f) for f in row.get("facts") or ()), row.get("follow_up_of"),
                tuple(row.get("must_not_say") or ()),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"{path}:{n}: not a labelled question ({exc})") from exc
        if case.kind not in KINDS or case.split not in SPLITS:
            raise ValueError(f"{path}:{n}: kind {case.kind!r} / split {case.split!r} unknown")
        if split is None or case.split == split:
            cases.append(case)
    return cases


def documents(only: str | None = None) -> dict[str, list[Path]]:
    """Document files by organisation (sub-folder of docs/)."""
    root = DATA / "docs"
    return {
        d.name: sorted(f for f in d.rglob("*") if f.is_file() and not f.name.startswith("."))
        for d in sorted(root.iterdir())
        if d.is_dir() and (only is None or d.name == only)
    }
