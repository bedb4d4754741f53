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


def test_a_copilot_turn_says_what_the_person_said_not_the_suggestion(records: Path, tmp_path: Path) -> None:
    """On a copilot call Earpiece's answer is a card for the agent: the caller was told what the
    agent said. The real call's record, as the copilot writes it: the turns in copilot mode, the
    assistant's lines replaced by the agent's (written in; none after the second question)."""
    path = records / f"{CALL_ID}.json"
    data = json.loads(path.read_text())
    agent = {1: "We open from nine until one on Saturdays. Anything else?", 3: "Bye now."}
    kept = [line for line in data["transcript"] if line["speaker"] == "caller" or line["turn"] in agent]
    data["transcript"] = [line if line["speaker"] == "caller" else
                          {**line, "speaker": "agent", "text": agent[line["turn"]], "turn": 10 + line["turn"]}
                          for line in kept]
    data["mode"] = "copilot"
    data["turns"] = [t | {"mode": "copilot"} for t in data["turns"]]
    path.write_text(json.dumps(data))
    call = CallArchive(records, tmp_path / "none.jsonl").get(CALL_ID)
    summary = summarise(call, disposition(call))
    assert summary.told == ("the agent said: We open from nine until one on Saturdays.", "no reply heard")
    assert "Hours: 9:00 am" not in summary.text  # the card's suggestion, never said to the caller
    assert summary.outcome == "handled by a person"
