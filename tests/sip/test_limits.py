"""The call limit per process is the wheel's compile-time PJSUA_MAX_CALLS, whatever pjsua2 is asked for."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from earpiece.sip.config import MAX_CALLS_PER_PROCESS, EngineConfig
from earpiece.sip.engine import SipEngine, SipError
from earpiece.sip.records import CallHistory

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_exactly_max_calls_per_process_even_when_asked_for_more() -> None:
    # A fresh process: the probe needs its own endpoint (one per process).
    out = subprocess.run(
        [sys.executable, "-m", "bench.sip.call_cap", "16"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    probe = json.loads(out.stdout.strip().splitlines()[-1])
    assert probe["placed"] == MAX_CALLS_PER_PROCESS, probe
    assert "PJ_ETOOMANY" in probe["refused_with"]


@pytest.mark.parametrize("calls", [0, MAX_CALLS_PER_PROCESS + 1, 32])
def test_a_call_limit_the_wheel_cannot_hold_is_refused_clearly(calls: int) -> None:
    with pytest.raises(ValueError, match=f"max_calls must be 1 to {MAX_CALLS_PER_PROCESS}"):
        EngineConfig(max_calls=calls)


def test_one_engine_per_process_and_one_start_per_engine(tmp_path: Path) -> None:
    config = EngineConfig(
        bind_address="127.0.0.1", udp_port=0, tcp_port=None, input_device="none", output_device="none"
    )

    def engine() -> SipEngine:
        return SipEngine(config, history=CallHistory(tmp_path / "call_history.jsonl"))

    first = engine()
    first.start()
    try:
        with pytest.raises(SipError, match="another SIP engine runs"):
            engine().start()
        with pytest.raises(SipError, match="already started"):
            first.start()
    finally:
        first.stop()
    with pytest.raises(SipError, match="already started"):
        first.start()  # a stopped engine is not started again, and that takes nothing from the process
    second = engine()
    second.start()
    second.stop()
    assert not second.running
