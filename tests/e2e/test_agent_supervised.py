"""`earpiece agent --supervise`: the agent child is killed with SIGKILL in the middle of a call; the
supervisor records the lost call, its warm spare takes the line over, a caller who keeps
redialling is answered, and a new spare is started."""

from __future__ import annotations

import os
import re
import signal
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from earpiece.core.calls.journal import IN_FLIGHT
from tests.e2e.harness import READY_LINE, AgentProcess, CallerScript, ScriptedCall
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

pytestmark = [pytest.mark.peers, pytest.mark.models]

USERS = {"agent": "agent-pw"}
STARTED = re.compile(r"earpiece supervisor: agent started \(pid (\d+)\)")
SPARE_STARTED = re.compile(r"earpiece supervisor: spare agent started \(pid (\d+)\)")
STANDING_BY = "earpiece agent: standing by"


@pytest.fixture(scope="module")
def registrar() -> Iterator[Kamailio]:
    with Kamailio(users=USERS) as kamailio:
        yield kamailio


def pids(agent: AgentProcess, started: re.Pattern[str]) -> list[int]:
    return [int(pid) for pid in started.findall(agent.text())]


def redial_until_answered(call: ScriptedCall, target: str, timeout: float) -> bool:
    """Dial, and dial again after every failed attempt, until the call is answered or `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        since = call.peer.event_count()
        call.peer.command("dial", target)
        wait_for(partial(_settled, call, since), 15, 0.05)
        if "CALL_ESTABLISHED" in _kinds(call, since):
            return True
        time.sleep(0.1)
    return False


_OUTCOMES = {"CALL_ESTABLISHED", "CALL_CLOSED"}


def _settled(call: ScriptedCall, since: int) -> bool:
    """Whether the attempt dialled after event `since` was answered or closed."""
    return bool(_kinds(call, since) & _OUTCOMES)


def _kinds(call: ScriptedCall, since: int) -> set[str]:
    return {str(e.get("type")) for e in call.peer.events[since:]}


def test_a_killed_agent_is_replaced_by_its_spare_records_the_lost_call_and_answers_again(
    registrar: Kamailio, tmp_path: Path
) -> None:
    listen = CallerScript.build([], lead_s=30.0, gap_s=0.0, tail_s=1.0)  # callers only listen
    with AgentProcess(registrar, "agent", USERS["agent"], tmp_path / "agent",
                      extra_args=("--supervise",)) as agent:
        (first,) = pids(agent, STARTED)
        assert wait_for(lambda: STANDING_BY in agent.text(), 120, 0.2), agent.text()
        spare = pids(agent, SPARE_STARTED)[-1]  # the one standing by (an earlier one may have failed)
        spares = len(pids(agent, SPARE_STARTED))
        with ScriptedCall(registrar, listen, "caller1", tmp_path / "caller1") as lost_call:
            lost_call.dial(agent.uri)
            assert wait_for(lambda: any((agent.calls_dir / IN_FLIGHT).glob("*.json")), 5), agent.text()
            with ScriptedCall(registrar, listen, "caller2", tmp_path / "caller2") as next_call:
                os.kill(first, signal.SIGKILL)
                killed = time.monotonic()
                answered = redial_until_answered(next_call, agent.uri, timeout=30)
                answered_after_s = time.monotonic() - killed
                assert answered, agent.text()[-3000:]
                next_call.hang_up()
            lost_call.hang_up()
        print(f"\nSIGKILL -> answered again after {answered_after_s:.2f} s")
        assert f"spare agent pid {spare} takes over" in agent.text(), agent.text()
        assert agent.text().count(READY_LINE) == 2, agent.text()
        (lost,) = [r for r in agent.wait_records(1) if r["outcome"] == "lost_in_crash"]
        assert "caller1" in lost["sip"]["remote_uri"] and lost["sip"]["answered"]
        assert "SIGKILL" in lost["notes"][0], lost
        assert wait_for(lambda: not any((agent.calls_dir / IN_FLIGHT).glob("*.json")), 15)  # caller2 done
        assert wait_for(lambda: len(pids(agent, SPARE_STARTED)) == spares + 1, 10), agent.text()  # new spare
        everyone = [first, *pids(agent, SPARE_STARTED)]
        assert agent.terminate(60) == 0, agent.text()[-3000:]  # SIGTERM reaches the agent: clean exit
    assert wait_for(lambda: not any(_running(pid) for pid in everyone), 10), "an agent outlived it"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
