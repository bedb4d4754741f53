"""No packet kills `earpiece agent`: SIPp sends the INVITE whose oversized Content-Type aborted it
(PROTOS c07-sip) and a burst of 200 INVITEs at 100/s straight to its SIP port, then come the
PROTOS-like malformed INVITEs of tests/sip/malformed.py, INVITEs whose Contact is a TCP address
that never answers, and a parallel TCP connection flood; the agent process lives on and answers a real
caller after each."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.harness import AgentProcess, CallerScript, ScriptedCall
from tests.peers.kamailio import Kamailio
from tests.peers.process import LOOPBACK
from tests.peers.sipp import run_sipp
from tests.sip.flood import flood_connections
from tests.sip.malformed import malformed_invites, send_invites_naming_tcp_contacts_that_never_answer

pytestmark = [pytest.mark.peers, pytest.mark.models]

USERS = {"agent": "agent-pw"}
LISTENING = re.compile(r"SIP engine listening on ([\d.]+):(\d+)")


@pytest.fixture(scope="module")
def registrar() -> Iterator[Kamailio]:
    with Kamailio(users=USERS) as kamailio:
        yield kamailio


@pytest.fixture(scope="module")
def agent(registrar: Kamailio, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AgentProcess]:
    with AgentProcess(registrar, "agent", USERS["agent"], tmp_path_factory.mktemp("agent")) as process:
        yield process


@pytest.fixture(scope="module")
def target(agent: AgentProcess) -> tuple[str, int]:
    """The agent's SIP UDP address, read from its log at once (the hostile traffic floods the log)."""
    match = LISTENING.search(agent.text() + agent.log_tail(100_000))
    assert match is not None, agent.text()[-2000:]
    return match.group(1), int(match.group(2))


def assert_answers(agent: AgentProcess, registrar: Kamailio, folder: Path) -> None:
    assert agent.alive(), f"the agent died:\n{agent.text()[-3000:]}"
    listen = CallerScript.build([], lead_s=3.0, gap_s=0.0, tail_s=1.0)
    with ScriptedCall(registrar, listen, "caller", folder) as call:
        call.dial(agent.uri)
        call.hang_up()


def test_the_oversized_content_type_invite_does_not_kill_the_agent(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path, target: tuple[str, int]
) -> None:
    keys = {"ctype": "application/" + "x" * 4100, "subject": "hi", "from_user": "intruder", "branch_pad": ""}
    extra = [arg for name, value in keys.items() for arg in ("-key", name, value)]
    result = run_sipp("hostile_invite", target, service="agent", timeout_s=5, extra=extra)
    assert result.ok, result.details  # answered 513
    assert_answers(agent, registrar, tmp_path)


def test_a_burst_of_200_invites_at_100_per_s_does_not_kill_the_agent(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path, target: tuple[str, int]
) -> None:
    result = run_sipp("direct_invite", target, service="agent", calls=200, rate=100, timeout_s=20)
    assert agent.alive(), f"the agent died:\n{agent.text()[-3000:]}"
    # 403 each; under load a few may outlast SIPp's two retransmissions (1.5 s) and count as failed
    assert result.successful_calls >= 180, result.details
    assert_answers(agent, registrar, tmp_path)


def test_protos_like_malformed_invites_do_not_kill_the_agent(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path, target: tuple[str, int]
) -> None:
    """Every case of tests/sip/malformed.py, 100 a second, straight to the agent's SIP port."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind((LOOPBACK, 0))
        for what, datagram in malformed_invites(target, sender.getsockname(), user=agent.user):
            sender.sendto(datagram, target)
            time.sleep(0.01)
            assert agent.alive(), f"the agent died after {what}:\n{agent.text()[-3000:]}"
    assert_answers(agent, registrar, tmp_path)


def test_invites_naming_tcp_contacts_that_never_answer_do_not_kill_the_agent(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path, target: tuple[str, int]
) -> None:
    """Over UDP to an agent that also listens on TCP (its default): 50 INVITEs whose Contact is a TCP
    address that never completes a connection, then 30 naming a closed TCP port (the abort is
    explained in tests/sip/test_flood.py)."""
    send_invites_naming_tcp_contacts_that_never_answer(target, agent.user)
    time.sleep(1.0)
    assert_answers(agent, registrar, tmp_path)


def test_a_parallel_tcp_connection_flood_does_not_kill_the_agent(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path
) -> None:
    """Eight clients on the agent's TCP port for four seconds, half sending an INVITE, half connecting
    and closing at full speed: it aborted in about a second, out of PJSIP ioqueue keys (explained in
    tests/sip/test_flood.py and sip/connections.py)."""
    listening = [c.laddr for c in psutil.Process(agent.pid).net_connections("tcp") if c.status == "LISTEN"]
    assert len(listening) == 1, listening
    target = (LOOPBACK, listening[0].port)
    flood = flood_connections(target, 4.0, user=agent.user, stop=lambda: not agent.alive())
    assert agent.alive(), f"the agent died ({flood}):\n{agent.text()[-3000:]}"
    assert "SIP connections paused" in agent.text() + agent.log_tail(400_000), flood
    assert_answers(agent, registrar, tmp_path)
