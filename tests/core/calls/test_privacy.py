"""What a call leaves behind outside its record: the log keeps no caller words or answers at INFO
(it is rotated by size, not deleted with the call), and a long-running controller applies the
retention period again after calls, not only when it starts. Same fake line and real sessions as
test_controller."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from dataclasses import replace
from pathlib import Path

import pytest

from earpiece.core.calls.events import TransferChanged
from earpiece.core.calls.line import DigitPressed
from earpiece.core.calls.policy import RETENTION_EVERY_S
from earpiece.core.engine import TurnMetricsEvent
from tests.core.calls.test_controller import AGENT, Line, _iso, greeted, hang_up, run

QUESTION = "When are you open on Saturday?"


def test_the_log_keeps_no_caller_words_or_answers_at_info(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="earpiece.core.calls")

    async def script(line: Line) -> None:
        media = line.connect()
        await greeted(line)
        media.caller.say(QUESTION)
        await line.next(TurnMetricsEvent, lambda e: e.metrics.speaker == "caller")  # type: ignore[attr-defined]
        line.controller.handle(DigitPressed("c1", "0"))  # a transfer: its summary holds the question
        await line.next(TransferChanged)
        await hang_up(line, media)

    line = run(tmp_path, AGENT, script)
    (answer,) = [t["text"] for t in line.record()["transcript"] if "nine to one" in t["text"]]
    info = "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.INFO)
    debug = "\n".join(r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG)
    for private in ("Saturday", "nine to one", "sip:c1@caller"):
        assert private not in info, f"{private!r} logged at INFO:\n{info}"
    assert re.search(r"turn \d+: the caller said 6 words \(30 characters\)", info)  # not personal: kept
    assert QUESTION in debug and answer in debug  # for someone who turns DEBUG on to find a fault


def _old_record(calls: Path, call_id: str) -> Path:
    record = {"call_id": call_id, "mode": "autonomous", "started_at": _iso(time.time() - 200 * 86_400),
              "duration_s": 1.0}
    calls.mkdir(parents=True, exist_ok=True)
    path = calls / f"{call_id}.json"
    path.write_text(json.dumps(record))
    return path


async def _call(line: Line, call_id: str) -> None:
    media = line.connect(call_id)
    await greeted(line)
    await hang_up(line, media, call_id)


async def _gone(path: Path, timeout: float = 10.0) -> bool:
    """Retention runs in a thread after the call's record is written."""
    deadline = time.monotonic() + timeout
    while path.exists() and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return not path.exists()


@pytest.mark.parametrize("every_s", [0.0, RETENTION_EVERY_S])
def test_a_running_controller_deletes_calls_that_grew_old_after_a_call_ends(
        tmp_path: Path, every_s: float) -> None:
    """A call that grew older than the retention period while the agent ran (written after start()
    here) is deleted when a later call ends; with the hourly default, not again within the hour."""
    async def script(line: Line) -> None:
        await line.controller.start()  # the agent's start: retention applied once
        old = _old_record(line.calls_dir, "old")
        await _call(line, "c1")
        assert await _gone(old, timeout=10.0 if every_s == 0.0 else 1.0) == (every_s == 0.0)
        assert (line.calls_dir / "c1.json").exists()  # the call just ended is kept

    run(tmp_path, replace(AGENT, retention_every_s=every_s), script)


def test_without_start_the_first_call_to_end_applies_retention(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        old = _old_record(line.calls_dir, "old")
        await _call(line, "c1")
        assert await _gone(old)
        again = _old_record(line.calls_dir, "again")  # within the hour: left for the next pass
        await _call(line, "c2")
        assert not await _gone(again, timeout=1.0)

    run(tmp_path, AGENT, script)
