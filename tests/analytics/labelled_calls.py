"""The labelled records of real calls in tests/data/calls (made by `tests.data.calls.make_records`:
`earpiece agent` answering baresip callers over Kamailio) and the labels a person gave them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parents[1] / "data" / "calls"


def scripts() -> list[dict[str, Any]]:
    """Per call, in the order made: what the caller said, with its labels (scripts.json)."""
    return list(json.loads((DATA / "scripts.json").read_text()))


def labels() -> dict[str, dict[str, Any]]:
    """Per call id: what a person read in the record (labels.json): disposition, intent, caller
    sentiment per turn, each question's topic, whether the knowledge base cannot answer it (`gap`)
    and whether the assistant said it did not know (`declined`), and the facts a summary must keep."""
    return dict(json.loads((DATA / "labels.json").read_text()))


def copy_records(folder: Path) -> Path:
    shutil.copytree(DATA / "records", folder)
    return folder
