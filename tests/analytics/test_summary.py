"""The summary's outcome says how the call ended where the record knows more than the disposition."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earpiece.core.analytics import CallArchive
from earpiece.core.analytics.disposition import disposition
from earpiece.core.analytics.summary import summarise

CALL_ID = "2607734435fa"  # answered by the assistant; the caller hung up after saying goodbye


@pytest.mark.parametrize(("outcome", "said"), [
    ("caller_hung_up", "answered by the assistant"),
    ("lost_in_crash", "answered by the assistant (the call was cut off: Earpiece stopped unexpectedly)"),
    ("ended_stale", "answered by the assistant (the line went silent and the call was ended)"),
    ("transfer_failed", "answered by the assistant (asked for a person; the transfer failed)"),
])
def test_the_outcome_says_how_the_call_ended(records: Path, tmp_path: Path, outcome: str, said: str) -> None:
    path = records / f"{CALL_ID}.json"
    path.write_text(json.dumps(json.loads(path.read_text()) | {"outcome": outcome}))
    call = CallArchive(records, tmp_path / "none.jsonl").get(CALL_ID)
    summary = summarise(call, disposition(call))
    assert summary.outcome == said and summary.text.endswith(f"Outcome: {said}.")


def test_the_text_reads_as_sentences(archive: CallArchive) -> None:
    """On every labelled call: one full stop between what the caller was told and the outcome."""
    texts = [summarise(call, disposition(call)).text for call in archive.calls()]
    assert any(". Outcome:" in text for text in texts)
    assert not [text for text in texts if ".." in text or "?." in text]
