"""`apply_retention`, which the call controller runs when the agent or the desktop starts: calls
older than `analytics.retention_days` go with their summary and history line; it never raises."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from earpiece.core.analytics import CallArchive, apply_retention
from earpiece.core.analytics.stored_summary import summary_path
from earpiece.core.settings import AnalyticsSettings, Settings
from earpiece.sip.events import CallDirection
from earpiece.sip.records import CallHistory, CallRecord


def aged(records: Path, days: float) -> Path:
    """The first record, made `days` old."""
    path = sorted(records.glob("*.json"))[0]
    data = json.loads(path.read_text())
    data["started_at"] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    path.write_text(json.dumps(data))
    return path


def keep(days: int) -> Settings:
    return Settings(analytics=AnalyticsSettings(retention_days=days))


def test_old_calls_go_with_their_summary_and_history_line(records: Path, tmp_path: Path) -> None:
    old = aged(records, 40)
    summary_path(old).write_text("{}")
    history = CallHistory(tmp_path / "call_history.jsonl")
    started = time.time() - 40 * 86400
    history.append(CallRecord(old.stem, "desk", CallDirection.INBOUND, "sip:100@pbx", "", started,
                              started + 1, started + 30, 200, "hung up here"))
    archive = CallArchive(records, history.path)
    count = len(archive.calls())

    assert apply_retention(keep(0), archive) == []  # 0 keeps everything
    assert apply_retention(keep(60), archive) == []
    assert apply_retention(keep(30), archive) == [old.stem]
    assert not list(records.glob(f"{old.stem}.*")) and len(archive.calls()) == count - 1
    assert history.load() == []


def test_an_archive_that_cannot_be_read_is_logged_not_raised(records: Path, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture) -> None:
    old = aged(records, 40)
    unreadable = tmp_path / "history-is-a-folder"
    unreadable.mkdir()
    archive = CallArchive(records, unreadable)
    with caplog.at_level(logging.ERROR):
        assert apply_retention(keep(30), archive) == []
    assert "retention: old calls not deleted" in caplog.text and old.exists()


def test_calls_without_a_record_go_too(records: Path, tmp_path: Path) -> None:
    """A call taken with the AI off leaves a history line and maybe a recording, no record; a torn
    record cannot say when its call started. Their age comes from the history line, else the file.
    Files that are not a call's are never touched, however old."""
    long_ago = time.time() - 40 * 86400
    history = CallHistory(tmp_path / "call_history.jsonl")
    ai_off_old, ai_off_new = "a1ff0000000a", "a1ff0000000b"
    for call_id, started in ((ai_off_old, long_ago), (ai_off_new, time.time())):
        (records / f"{call_id}.wav").write_bytes(b"RIFF")
        history.append(CallRecord(call_id, "desk", CallDirection.INBOUND, "sip:100@pbx", "", started,
                                  started + 1, started + 30, 200, "hung up here"))
    torn_old, torn_new = records / "70e40000000a.json", records / "70e40000000b.json"
    stranger = records / "my-notes.json"
    for path in (torn_old, torn_new, stranger):
        path.write_text('{"call_id": "x", "sta')
    for path in (torn_old, stranger):
        os.utime(path, (long_ago, long_ago))
    archive = CallArchive(records, history.path)
    count = len(archive.calls())

    assert sorted(apply_retention(keep(30), archive)) == [torn_old.stem, ai_off_old]
    assert not (records / f"{ai_off_old}.wav").exists() and not torn_old.exists()
    assert (records / f"{ai_off_new}.wav").exists() and torn_new.exists() and stranger.exists()
    assert [r.call_id for r in history.load()] == [ai_off_new] and len(archive.calls()) == count
