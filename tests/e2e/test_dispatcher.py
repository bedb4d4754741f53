"""One line answered by two `earpiece agent` processes behind Kamailio's dispatcher, run with the
configuration shipped in packaging/kamailio: calls are spread over both agents, a call offered to a
busy agent goes to the other one, and when one agent is killed (SIGKILL) only its call is lost; the
line keeps answering from the other agent."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from earpiece.core.settings import SttSettings
from earpiece.core.stt import WhisperSpeechToText
from tests.audio_gen import piper_speech
from tests.e2e.harness import (
    AgentProcess,
    CallerScript,
    HeardTurn,
    ScriptedCall,
    analyse,
    clip_pcm,
    greeting_onset_s,
    start_together,
    terminate_together,
)
from tests.peers.kamailio import KamailioDispatcher
from tests.peers.process import LOOPBACK, free_port, wait_for

pytestmark = pytest.mark.peers

ACCOUNTS = {"agent-a": "agent-a-pw", "agent-b": "agent-b-pw"}
LineOfTwo = tuple[KamailioDispatcher, list[AgentProcess]]  # the dispatcher and agents A and B
QUESTION = "How long do I have to return a product for a full refund?"


@pytest.fixture(scope="module")
def recogniser() -> WhisperSpeechToText:
    return WhisperSpeechToText(SttSettings(model="tiny.en"))


@pytest.fixture(scope="module")
def script() -> CallerScript:
    return CallerScript.build([piper_speech(QUESTION)], lead_s=5.0, gap_s=13.0, tail_s=3.0)


def start_agents(line: KamailioDispatcher, ports: list[int], home: Path,
                 max_calls: tuple[int, ...] = (4, 4)) -> list[AgentProcess]:
    """One agent per node port, each registered as its own account with its own data folders (so its
    own copy of the sample knowledge base), started side by side."""
    agents = [
        AgentProcess(line, user, password, home / user, max_calls=most, extra_args=("--sip-port", str(port)))
        for (user, password), port, most in zip(ACCOUNTS.items(), ports, max_calls, strict=True)
    ]
    start_together(agents)
    return agents


def heard_reply(call: ScriptedCall, recogniser: WhisperSpeechToText) -> tuple[HeardTurn, str]:
    """The caller's question and what it heard after it, transcribed."""
    (turn,) = analyse(call.sent(), call.heard(), call.script)
    if turn.reply_onset_s is None or turn.reply_end_s is None:
        return turn, ""
    pcm = clip_pcm(call.heard(), turn.reply_onset_s, turn.reply_end_s + 0.3)
    return turn, asyncio.run(recogniser.transcribe(pcm)).text.lower()


@pytest.mark.models
def test_calls_spread_over_two_agents_and_a_killed_agent_costs_only_its_call(
    recogniser: WhisperSpeechToText, script: CallerScript, tmp_path: Path
) -> None:
    ports = [free_port(), free_port()]
    with KamailioDispatcher(ACCOUNTS, nodes=ports) as line:
        agents = start_agents(line, ports, tmp_path)
        node_of = dict(zip(line.nodes, agents, strict=True))
        try:
            # The nodes start out of rotation: each is put in only once it answered an OPTIONS probe.
            assert line.wait_nodes_up(2) == set(line.nodes)

            # Two callers at once: the dispatcher gives each agent one.
            first = ScriptedCall(line, script, "caller1", tmp_path / "caller1")
            second = ScriptedCall(line, script, "caller2", tmp_path / "caller2")
            with first, second:
                first.dial(line.line_uri)
                second.dial(line.line_uri)
                routes = {d.from_user: d.node for d in line.dispatched()}
                assert set(routes) == {"caller1", "caller2"}, line.dispatched()
                assert set(routes.values()) == set(line.nodes), f"both calls went to one node: {routes}"

                # The first caller's agent dies during its greeting (SIGKILL: no goodbye, no BYE).
                doomed = node_of[routes["caller1"]]
                survivor = node_of[routes["caller2"]]
                time.sleep(2.0)
                doomed.kill()

                # A new caller right away is answered by the surviving agent.
                # Everyone hangs up once the survivor has answered both its callers (or at the end of
                # the script): by then caller1 has waited past its question as long as they did.
                def answered_both() -> bool:
                    return survivor.replies() >= 2

                third = ScriptedCall(line, script, "caller3", tmp_path / "caller3")
                with third:
                    worker = threading.Thread(target=third.run, args=(line.line_uri, answered_both))
                    worker.start()
                    first.wait_done(answered_both)
                    first.hang_up()
                    second.hang_up()
                    worker.join(60)
                    assert third.closed_at is not None, "the third call did not complete"
                    third_turn, third_reply = heard_reply(third, recogniser)
                first_turn, first_reply = heard_reply(first, recogniser)
                _, second_reply = heard_reply(second, recogniser)

            # The new call went to the survivor (straight away, or after the dead node did not answer).
            third_routes = [d.node for d in line.dispatched() if d.from_user == "caller3"]
            assert third_routes and node_of[third_routes[-1]] is survivor, line.dispatched()
            # The survivor's call went on and the new call was answered, and both callers heard the
            # answer the agent gave (whatever the knowledge base says).
            records = {caller_of(r["sip"]["remote_uri"]): r for r in survivor.wait_records(2)}
            assert sorted(records) == ["caller2", "caller3"], records
            for caller, reply in (("caller2", second_reply), ("caller3", third_reply)):
                assert records[caller]["outcome"] == "caller_hung_up", records[caller]
                answer = agent_answer(records[caller])
                assert same_words(reply, answer), f"{caller} heard {reply!r}; the agent answered {answer!r}"
            assert third_turn.voice_to_voice_ms is not None
            # The killed agent's call was lost: its caller heard nothing after the question.
            assert first_turn.reply_onset_s is None, f"caller1 heard {first_reply!r} from a killed agent"
            # The dispatcher took the dead node out of rotation.
            doomed_node = next(node for node, agent in node_of.items() if agent is doomed)
            assert wait_for(lambda: ("down", doomed_node) in line.node_events(), 10, 0.1), line.node_events()
            assert line.active_nodes() == set(line.nodes) - {doomed_node}
        finally:
            terminate_together(agents)


@pytest.fixture(scope="module")
def line_of_two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LineOfTwo]:
    """The dispatcher in front of agent A, which takes one call at a time, and agent B, which takes
    four, both in rotation; shared by the tests that kill no agent (each reads only what happened
    during it: dispatches, records and refusals after its start)."""
    ports = [free_port(), free_port()]
    with KamailioDispatcher(ACCOUNTS, nodes=ports) as line:
        agents = start_agents(line, ports, tmp_path_factory.mktemp("line"), max_calls=(1, 4))
        try:
            line.wait_nodes_up(2)
            yield line, agents
        finally:
            terminate_together(agents)


def refusals(agent: AgentProcess) -> int:
    return agent.log_tail(10**8).count("refusing call")


@pytest.mark.models
def test_a_busy_agent_hands_the_call_to_the_other_one(
    line_of_two: LineOfTwo, tmp_path: Path
) -> None:
    """Agent A takes one call at a time, but the dispatcher's list allows it four (as when the list
    and the agent disagree, or calls reached the agent past the dispatcher). Of four callers in a
    row, the dispatcher offers A a second call; A answers 486 and the dispatcher passes that call to
    B instead of the caller hearing busy."""
    line, agents = line_of_two
    line.set_node_calls(4)
    busy_node, other_node = line.nodes
    listener = CallerScript.build([], lead_s=12.0, gap_s=0.0, tail_s=1.0)  # the callers only listen
    known = [len(agent.records()) for agent in agents]
    refused_before, dispatched_before = refusals(agents[0]), len(line.dispatched())
    with contextlib.ExitStack() as stack:
        calls = [stack.enter_context(ScriptedCall(line, listener, name, tmp_path / name))
                 for name in ("caller1", "caller2", "caller3", "caller4")]
        for call in calls:
            call.dial(line.line_uri)  # raises unless the call is answered
        for call in calls:  # every caller hears its greeting (asserted below on the recordings)
            call.wait_heard_speech(timeout=10)
        for call in calls:
            call.hang_up()
        greetings = [greeting_onset_s(call.heard()) for call in calls]
    records = [agent.wait_records(before + count)[before:]
               for agent, before, count in zip(agents, known, (1, 3), strict=True)]
    tries: dict[str, list[str]] = {}
    for dispatched in line.dispatched()[dispatched_before:]:
        tries.setdefault(dispatched.call_id, []).append(dispatched.node)
    retried = [nodes for nodes in tries.values() if len(nodes) > 1]
    assert retried and all(nodes == [busy_node, other_node] for nodes in retried), tries
    assert refusals(agents[0]) > refused_before, "agent A did not refuse a call as busy"
    assert all(at is not None for at in greetings), f"a caller heard no greeting: {greetings}"
    assert [len(r) for r in records] == [1, 3], records


@pytest.mark.models
def test_the_dispatcher_counts_calls_and_never_offers_a_full_agent_one(
    line_of_two: LineOfTwo, tmp_path: Path
) -> None:
    """With one call per agent in the list, two callers get one agent each and a third hears busy
    from the dispatcher itself, without a full agent being offered the call."""
    line, agents = line_of_two
    line.set_node_calls(1)
    listener = CallerScript.build([], lead_s=12.0, gap_s=0.0, tail_s=1.0)
    refused_before, dispatched_before = [refusals(agent) for agent in agents], len(line.dispatched())
    with contextlib.ExitStack() as stack:
        calls = [stack.enter_context(ScriptedCall(line, listener, name, tmp_path / name))
                 for name in ("caller1", "caller2", "caller3")]
        calls[0].dial(line.line_uri)
        calls[1].dial(line.line_uri)
        third = calls[2].peer
        since = third.event_count()
        third.command("dial", line.line_uri)
        closed = third.wait_event("CALL_CLOSED", timeout=10, since=since)
        for call in calls[:2]:
            call.hang_up()
    refused = [agent.user for agent, before in zip(agents, refused_before, strict=True)
               if refusals(agent) > before]
    nodes = {d.from_user: d.node for d in line.dispatched()[dispatched_before:]}
    assert "486" in closed["param"], closed
    assert sorted(nodes.values()) == sorted(line.nodes) and "caller3" not in nodes, nodes
    assert refused == [], f"a full agent was offered a call: {refused}"


def test_the_dispatcher_answers_a_keepalive_options_itself() -> None:
    """A PBX trunk checks the proxy with OPTIONS to its own address: 200, not a routing error."""
    with KamailioDispatcher(ACCOUNTS, nodes=[free_port()]) as line, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.settimeout(5)
        status = {}
        for target in (f"sip:{LOOPBACK}:{line.port}", f"sip:nobody@{LOOPBACK}:{line.port}"):
            sock.sendto(options_request(target, sock.getsockname()[1]), line.address)
            status[target] = sock.recv(4096).decode().split("\r\n", 1)[0]
    assert list(status.values()) == ["SIP/2.0 200 Keepalive", "SIP/2.0 404 Not Found"], status


def options_request(target: str, reply_port: int) -> bytes:
    tag = uuid.uuid4().hex
    return (f"OPTIONS {target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {LOOPBACK}:{reply_port};branch=z9hG4bK{tag}\r\n"
            f"Max-Forwards: 70\r\nFrom: <sip:pbx@{LOOPBACK}>;tag={tag[:8]}\r\nTo: <{target}>\r\n"
            f"Call-ID: {tag}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n").encode()


def caller_of(remote_uri: str) -> str:
    return remote_uri.split("@")[0].rsplit(":", 1)[-1]


def agent_answer(record: dict[str, Any]) -> str:
    (turn,) = [t for t in record["turns"] if t["speaker"] == "caller"]
    return str(turn["answer"])


def same_words(heard: str, said: str, share: float = 0.6) -> bool:
    """Most of the first words the agent said are in what the caller heard (as Whisper wrote it)."""
    said_words = re.findall(r"[a-z']+", said.lower())[:12]
    heard_words = set(re.findall(r"[a-z']+", heard.lower()))
    return bool(said_words) and sum(w in heard_words for w in said_words) >= share * len(said_words)
