"""`earpiece kb ...` end to end through the real argument parser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earpiece.cli import main
from tests.knowledge import documents as docs
from tests.knowledge.conftest import SAMPLE_KB

pytestmark = pytest.mark.models


def kb(store: Path, *args: str) -> int:
    return main(["kb", "--store", str(store), *args])


def test_kb_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = tmp_path / "store"
    assert kb(store, "create", "demo") == 0
    assert kb(store, "create", "demo") == 1
    assert "already exists" in capsys.readouterr().err

    broken = docs.write_corrupt_pdf(tmp_path / "broken.pdf")
    assert kb(store, "add", "--kb", "demo", str(SAMPLE_KB), str(broken)) == 1  # a failure is reported
    out, err = capsys.readouterr()
    assert "6 added, 1 failed" in out
    assert "broken.pdf: not a readable PDF" in err
    assert "ingesting" in err  # the progress bar

    assert kb(store, "list") == 0
    assert capsys.readouterr().out.startswith("demo\t6 documents")

    assert kb(store, "docs", "--kb", "demo") == 0
    listing = capsys.readouterr().out
    assert str(SAMPLE_KB / "faq.csv") in listing and "17 chunks" in listing

    assert kb(store, "search", "--kb", "demo", "what's the price of the kettle", "-k", "2", "--json") == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["passages"][0]["source"].endswith("products-and-prices.md")
    assert "£59" in payload["passages"][0]["text"]
    assert len(payload["passages"]) == 2 and payload["timing_ms"]["total"] > 0

    assert kb(store, "search", "--kb", "demo", "opening hours on Saturday") == 0
    assert "Day: Saturday; Hours: 9:00 am to 1:00 pm" in capsys.readouterr().out  # its own ROW unit

    assert kb(store, "remove", "--kb", "demo", "faq.csv") == 0
    assert "removed" in capsys.readouterr().out
    assert kb(store, "rebuild", "--kb", "demo", "--quiet") == 0
    assert "5 unchanged" in capsys.readouterr().out

    assert kb(store, "drop", "demo") == 0
    assert kb(store, "search", "--kb", "demo", "anything") == 1
    assert "no knowledge base named 'demo'" in capsys.readouterr().err
