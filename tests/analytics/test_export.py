"""Exports: one CSV row or JSON line per analysed call, phone numbers masked unless asked."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from earpiece.core.analytics import CallAnalyser, CallAnalysis, CallArchive
from earpiece.core.analytics.export import CSV_COLUMNS, export, mask_numbers, record

NUMBER = "+44 116 496 0330"


def test_numbers_are_masked_to_their_last_three_digits() -> None:
    assert mask_numbers("sip:+441164960330@pbx.example") == "sip:+*********330@pbx.example"
    assert mask_numbers(f"call me on {NUMBER} please") == "call me on +** *** *** *330 please"
    # not phone numbers: short numbers, prices, times, addresses of hosts
    kept = "order 12345, £4.95, 10:30, sip:100@192.168.10.200:5060, 3 to 5 days"
    assert mask_numbers(kept) == kept


def with_number(archive: CallArchive, call_analyser: CallAnalyser,
                records: Path) -> tuple[str, list[CallAnalysis]]:
    path = sorted(records.glob("*.json"))[0]
    data = json.loads(path.read_text())
    data["sip"]["remote_uri"] = "sip:+441164960330@pbx.example"
    data["sip"]["display_name"] = "+441164960330"
    caller = next(e for e in data["transcript"] if e["speaker"] == "caller")
    caller["text"] = f"My number is {NUMBER}."
    path.write_text(json.dumps(data))
    return path.stem, [call_analyser.analyse(c) for c in archive.calls()]


@pytest.mark.models
def test_csv_and_jsonl_mask_numbers_unless_unmasked(archive: CallArchive, call_analyser: CallAnalyser,
                                                    records: Path) -> None:
    changed, analyses = with_number(archive, call_analyser, records)
    out = io.StringIO()
    assert export(analyses, out, "csv") == len(analyses)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert tuple(rows[0]) == CSV_COLUMNS and len(rows) == len(analyses)
    (row,) = [r for r in rows if r["call_id"] == changed]
    assert row["remote_uri"] == "sip:+*********330@pbx.example" and row["display_name"] == "+*********330"
    # the labelled records predate the recorded speech start: their talk time is an estimate
    assert {(r["summary_source"], r["talk_time_estimated"]) for r in rows} == {("extractive", "True")}
    assert "4960330" not in out.getvalue()
    assert {r["disposition"] for r in rows} <= {"answered by the assistant", "transferred", "no answer known",
                                                "caller hung up", "handled by a person"}

    lines = io.StringIO()
    export(analyses, lines, "jsonl")
    (line,) = [json.loads(x) for x in lines.getvalue().splitlines() if changed in x]
    assert "4960330" not in lines.getvalue()
    assert "My number is +** *** *** *330." in [e["text"] for e in line["transcript"]]

    digits_only = dataclasses.replace(analyses[0], call=dataclasses.replace(analyses[0].call,
                                                                           call_id="123456789012"))
    assert record(digits_only)["call_id"] == "123456789012"  # an id, not a phone number

    whole = io.StringIO()
    export(analyses, whole, "jsonl", masked=False)
    (line,) = [json.loads(x) for x in whole.getvalue().splitlines() if changed in x]
    assert line["remote_uri"] == "sip:+441164960330@pbx.example"
    with pytest.raises(ValueError, match="unknown export format 'xml'"):
        export(analyses, io.StringIO(), "xml")
