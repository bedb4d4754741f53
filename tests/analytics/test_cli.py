"""`earpiece calls ...` and the `kb gaps` function on the labelled records of real calls."""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.cli.gaps import add_gaps_parser, run_gaps
from tests.analytics.labelled_calls import labels

pytestmark = pytest.mark.models


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_calls_list_show_and_export(records: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    truth = labels()
    code, out, _ = run(capsys, "calls", "list", "--json", "--calls-dir", str(records))
    listed = json.loads(out)
    assert code == 0 and {c["call_id"] for c in listed} == set(truth)
    assert {c["call_id"]: c["disposition"] for c in listed} == {k: v["disposition"] for k, v in truth.items()}

    call_id = next(iter(truth))
    code, out, _ = run(capsys, "calls", "show", call_id[:6], "--calls-dir", str(records))
    assert code == 0 and f"call {call_id}" in out and "transcript:" in out and "summary: Caller asked" in out

    target = tmp_path / "calls.csv"
    code, _, err = run(capsys, "calls", "export", "--format", "csv", "-o", str(target),
                       "--calls-dir", str(records))
    rows = list(csv.DictReader(target.open()))
    assert code == 0 and len(rows) == len(truth) and "phone numbers masked" in err

    code, _, err = run(capsys, "calls", "show", "nosuchcall", "--calls-dir", str(records))
    assert code == 1 and "no call 'nosuchcall'" in err


def test_bad_dates_and_deletion(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["calls", "list", "--since", "last tuesday", "--calls-dir", str(records)])
    assert "is not a date" in capsys.readouterr().err
    code, out, _ = run(capsys, "calls", "list", "--since", "2999-01-01", "--calls-dir", str(records))
    assert code == 0 and "no calls recorded in that period" in out
    code, out, err = run(capsys, "calls", "list", "--account", "agnet", "--calls-dir", str(records))
    assert code == 0 and "no calls recorded" in out
    assert "no call in this period was on account 'agnet'; the calls' accounts: agent" in err

    victim = sorted(records.glob("*.json"))[0].stem
    code, out, _ = run(capsys, "calls", "delete", victim, "--calls-dir", str(records))
    assert code == 0 and out.strip() == "deleted 1 call(s)" and not (records / f"{victim}.json").exists()


def test_kb_gaps_groups_declined_questions(records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    add_gaps_parser(parser.add_subparsers(dest="kb_action"))
    args = parser.parse_args(["gaps", "--json", "--calls-dir", str(records)])
    assert run_gaps(args) == 0
    groups = json.loads(capsys.readouterr().out)
    truth = labels()
    declined = [q for label in truth.values() for q in label["questions"] if q["declined"]]
    assert sum(g["count"] for g in groups) == len(declined)
    assert groups == sorted(groups, key=lambda g: -g["count"])

    args = parser.parse_args(["gaps", "--kb", "another", "--calls-dir", str(records)])
    assert run_gaps(args) == 0
    assert capsys.readouterr().out.startswith("no knowledge gaps")


def test_kb_gaps_names_unreadable_records_and_an_unused_knowledge_base(
        records: Path, capsys: pytest.CaptureFixture[str]) -> None:
    torn = records / "70e400000001.json"
    torn.write_text('{"call_id": "70e400000001", "sta')
    parser = argparse.ArgumentParser()
    add_gaps_parser(parser.add_subparsers(dest="kb_action"))
    assert run_gaps(parser.parse_args(["gaps", "--calls-dir", str(records)])) == 0
    out, err = capsys.readouterr()
    assert f"skipped: {torn}: unreadable" in err and f"in {len(labels())} call(s)" in out
    assert torn.exists()  # reported, never removed
    assert run_gaps(parser.parse_args(["gaps", "--kb", "shopp", "--json", "--calls-dir", str(records)])) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == []
    assert "no call in this period was answered from knowledge base 'shopp'; the calls used: sample" in err


def test_calls_delete_removes_a_record_that_cannot_be_read(records: Path,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    torn = records / "70e400000001.json"
    torn.write_text('{"call_id": "70e400000001", "sta')
    (records / "70e400000001.wav").write_bytes(b"RIFF")
    code, _, err = run(capsys, "calls", "show", "70e4", "--calls-dir", str(records))
    assert code == 1 and f"error: {torn}: unreadable" in err
    code, out, _ = run(capsys, "calls", "delete", "70e4", "--calls-dir", str(records))
    assert code == 0 and out.strip() == "deleted 1 call(s)" and not list(records.glob("70e4*"))
