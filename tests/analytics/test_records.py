"""One reader for the agent's records and the desktop's, deletion everywhere and retention."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from earpiece.core.analytics import CallArchive, CallNotFoundError, Disposition
from earpiece.core.analytics.disposition import disposition
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord

AGENT_ONLY = ("outcome", "knowledge_base", "sip", "transfers", "audio", "notes")


def as_desktop_record(agent_record: dict) -> dict:
    """The session's own record inside an agent report: what the desktop writes for the same call."""
    return {k: v for k, v in agent_record.items() if k not in AGENT_ONLY}


def history_line(history: CallHistory, call_id: str, started: float, uri: str) -> None:
    history.append(CallRecord(call_id, "desk", CallDirection.INBOUND, uri, "Ann", started, started + 1,
                              started + 40, 200, "hung up here"))


def test_agent_and_desktop_records_read_alike(records: Path, tmp_path: Path) -> None:
    agent_path = sorted(records.glob("*.json"))[0]
    agent = json.loads(agent_path.read_text())
    desktop = as_desktop_record(agent)
    desktop["call_id"] = "desk-call"
    (records / "desk-call.json").write_text(json.dumps(desktop))
    history = CallHistory(tmp_path / "call_history.jsonl")
    history_line(history, "desk-call", time.time(), "sip:+441164960330@pbx.example")

    archive = CallArchive(records, history.path)
    from_agent = archive.get(agent["call_id"])
    from_desktop = archive.get("desk-call")
    assert (from_agent.source, from_desktop.source) == ("agent", "desktop")
    assert from_agent.account_id == agent["sip"]["account_id"] and from_agent.outcome == agent["outcome"]
    # who called comes from the SIP call history for desktop records
    assert (from_desktop.account_id, from_desktop.remote_uri) == ("desk", "sip:+441164960330@pbx.example")
    assert from_desktop.transcript == from_agent.transcript and from_desktop.turns == from_agent.turns
    assert [c.call_id for c in archive.calls(account="desk")] == ["desk-call"]


def test_unreadable_records_are_skipped_and_named(records: Path, tmp_path: Path) -> None:
    (records / "torn.json").write_text('{"call_id": "x", "started')
    (records / "other.json").write_text('{"hello": 1}')
    archive = CallArchive(records, tmp_path / "none.jsonl")
    calls = archive.calls()
    assert len(calls) == len(list(records.glob("*.json"))) - 2
    assert len(archive.skipped) == 2 and any("torn.json" in s for s in archive.skipped)
    with pytest.raises(CallNotFoundError, match=r"other\.json"):
        archive.get("other")


def test_a_call_is_deleted_with_its_recording_and_history_line(records: Path, tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "call_history.jsonl")
    first, second = sorted(p.stem for p in records.glob("*.json"))[:2]
    for call_id in (first, second):
        history_line(history, call_id, time.time(), "sip:100@pbx")
    (records / f"{first}.wav").write_bytes(b"RIFF")
    archive = CallArchive(records, history.path)
    assert archive.delete([first]) == [first]
    assert not list(records.glob(f"{first}.*"))
    assert [r.call_id for r in history.load()] == [second]
    with pytest.raises(CallNotFoundError):
        archive.get(first)


def test_retention_removes_only_calls_older_than_the_period(records: Path, tmp_path: Path) -> None:
    history = CallHistory(tmp_path / "call_history.jsonl")
    paths = sorted(records.glob("*.json"))
    old, recent = paths[0], paths[1]
    data = json.loads(old.read_text())
    long_ago = datetime.now(UTC) - timedelta(days=40)
    data["started_at"] = long_ago.isoformat()
    old.write_text(json.dumps(data))
    history_line(history, old.stem, long_ago.timestamp(), "sip:100@pbx")
    history_line(history, recent.stem, time.time(), "sip:101@pbx")
    archive = CallArchive(records, history.path)

    assert archive.prune(0) == []  # 0: keep everything
    assert archive.prune(60) == []
    assert archive.prune(30) == [old.stem]
    assert not old.exists() and recent.exists()
    assert [r.call_id for r in history.load()] == [recent.stem]


def test_a_record_of_the_one_format_says_its_source_and_outcome(records: Path, tmp_path: Path) -> None:
    """Desktop records in the format both programs now write carry `source` and an outcome: a
    transfer that went through is read from it, whichever program carried the call."""
    path = records / "2607734435fa.json"
    data = json.loads(path.read_text()) | {"source": "desktop", "outcome": "transferred"}
    path.write_text(json.dumps(data))
    call = CallArchive(records, tmp_path / "none.jsonl").get("2607734435fa")
    assert call.source == "desktop" and disposition(call) is Disposition.TRANSFERRED
    path.write_text(json.dumps(data | {"outcome": "transfer_failed"}))
    call = CallArchive(records, tmp_path / "none.jsonl").get("2607734435fa")
    assert disposition(call) is not Disposition.TRANSFERRED


@pytest.mark.parametrize(("damage", "field"), [
    ({"turns": [None]}, "turns.0"),
    ({"duration_s": "long"}, "duration_s"),
    ({"sip": "x"}, "sip"),
    ({"events": [{"event": "Spoke", "at": 1.0, "t": "soon"}]}, "events.0.t"),
    ({"transcript": [{"t": 1.0, "speaker": "caller"}]}, "transcript.0.text"),
])
def test_a_record_of_the_wrong_shape_is_skipped_naming_the_field(records: Path, tmp_path: Path,
                                                                 damage: dict, field: str) -> None:
    """A hand-edited or foreign record fails alone, saying where, instead of every view of the folder."""
    path = sorted(records.glob("*.json"))[0]
    path.write_text(json.dumps(json.loads(path.read_text()) | damage))
    archive = CallArchive(records, tmp_path / "none.jsonl")
    calls = archive.calls()
    assert len(calls) == len(list(records.glob("*.json"))) - 1
    (problem,) = archive.skipped
    assert problem.startswith(f"{path}: not a call record ({field}: ")
    with pytest.raises(CallNotFoundError, match=rf"not a call record \({field.replace('.', '[.]')}: "):
        archive.get(path.stem[:6])


def test_an_unreadable_record_or_a_lone_recording_is_found_and_deleted(records: Path, tmp_path: Path) -> None:
    """Ids are found from the files, so a call whose record cannot be read, or that kept only a
    recording, is named precisely and can be deleted; an id is never a pattern."""
    torn = records / "70e400000001.json"
    torn.write_text('{"call_id": "70e400000001", "sta')
    (records / "70e400000001.wav").write_bytes(b"RIFF")
    (records / "a1ff00000001.wav").write_bytes(b"RIFF")
    archive = CallArchive(records, tmp_path / "none.jsonl")
    with pytest.raises(CallNotFoundError, match=r"70e400000001\.json: unreadable"):
        archive.get("70e4")
    lone = r"call a1ff00000001 has no record .*\(only a1ff00000001\.wav\)"
    with pytest.raises(CallNotFoundError, match=lone):
        archive.get("a1ff")
    count = len(list(records.iterdir()))
    assert archive.delete(["*", ""]) == [] and len(list(records.iterdir())) == count
    found = [archive.resolve("70e4"), archive.resolve("a1ff")]
    assert archive.delete(found) == found == ["70e400000001", "a1ff00000001"]
    assert not list(records.glob("70e4*")) and not list(records.glob("a1ff*"))
    assert len(list(records.iterdir())) == count - 3


def test_an_id_never_reaches_outside_the_folder(records: Path, tmp_path: Path) -> None:
    (tmp_path / "outside.json").write_bytes(sorted(records.glob("*.json"))[0].read_bytes())
    archive = CallArchive(records, tmp_path / "none.jsonl")
    with pytest.raises(CallNotFoundError, match=r"no call '\.\./outside'"):
        archive.get("../outside")
    assert archive.delete(["../outside"]) == [] and (tmp_path / "outside.json").exists()
