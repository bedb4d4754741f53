"""`earpiece agent` over real SIP: Kamailio as registrar, the agent as a child process, baresip as
an independent caller that speaks a WAV and records what it hears; the recording is transcribed
with the project's recogniser."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.settings import SttSettings
from earpiece.core.stt import WhisperSpeechToText
from tests.audio_gen import piper_speech
from tests.e2e.harness import (
    AgentProcess,
    CallerScript,
    ScriptedCall,
    analyse,
    clip_pcm,
    greeting_onset_s,
    start_together,
    terminate_together,
    voiced_frames,
)
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

pytestmark = [pytest.mark.peers, pytest.mark.models]

USERS = {"agent": "agent-pw", "carol": "carol-pw", "agent3": "agent3-pw"}
REFUND_QUESTION = "How long do I have to return a product for a full refund?"


@pytest.fixture(scope="module")
def registrar() -> Iterator[Kamailio]:
    with Kamailio(users=USERS) as kamailio:
        yield kamailio


@pytest.fixture(scope="module")
def agents(
    registrar: Kamailio, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, AgentProcess]]:
    """The module's agents, started side by side: "agent" (transfers to carol) answers the calls of
    the tests and is stopped by the last one; "agent3" transfers to a user nobody registered."""
    home = tmp_path_factory.mktemp("agents")
    agents = {
        "agent": AgentProcess(registrar, "agent", USERS["agent"], home / "agent", transfer_to="carol"),
        "agent3": AgentProcess(registrar, "agent3", USERS["agent3"], home / "agent3", transfer_to="nobody"),
    }
    start_together(agents.values())
    try:
        yield agents
    finally:
        codes = dict(zip(agents, terminate_together(agents.values()), strict=True))
    assert codes["agent"] == 0, agents["agent"].text()[-3000:]


@pytest.fixture(scope="module")
def agent(agents: dict[str, AgentProcess]) -> AgentProcess:
    return agents["agent"]


@pytest.fixture(scope="module")
def recogniser() -> WhisperSpeechToText:
    return WhisperSpeechToText(SttSettings(model="tiny.en"))


def transcribe(recogniser: WhisperSpeechToText, pcm: bytes) -> str:
    return asyncio.run(recogniser.transcribe(pcm)).text.lower()


def test_a_caller_hears_the_answer_from_the_knowledge_base(
    agent: AgentProcess, registrar: Kamailio, recogniser: WhisperSpeechToText, tmp_path: Path
) -> None:
    script = CallerScript.build([piper_speech(REFUND_QUESTION)], lead_s=5.0, gap_s=13.0, tail_s=3.0)
    replied = agent.replies()
    with ScriptedCall(registrar, script, "caller1", tmp_path) as call:
        call.run(agent.uri, done=lambda: agent.replies() > replied)
        sent, heard = call.sent(), call.heard()
    greeting = greeting_onset_s(heard)
    assert greeting is not None and greeting < 3.0, "the agent did not greet the caller"
    (turn,) = analyse(sent, heard, script)
    assert turn.reply_onset_s is not None and turn.reply_end_s is not None, "no reply after the question"
    reply = transcribe(recogniser, clip_pcm(heard, turn.reply_onset_s, turn.reply_end_s + 0.3))
    assert re.search(r"\b(30|thirty) days\b", reply), reply
    # The agent's record of the same call: transcript, metrics, outcome.
    record = agent.wait_records(1)[-1]
    assert record["outcome"] == "caller_hung_up" and record["sip"]["codec"].startswith("G722")
    (metrics,) = [t for t in record["turns"] if t["speaker"] == "caller"]
    assert "refund" in metrics["question"].lower() and "30 days" in metrics["answer"]
    assert metrics["voice_to_voice_ms"] > 0 and metrics["providers"]["llm"] == "offline"
    assert [e["speaker"] for e in record["transcript"]] == ["assistant", "caller", "assistant"]
    # Heard at the caller later than handed to the call, never earlier (the clocks agree).
    assert turn.voice_to_voice_ms is not None and turn.voice_to_voice_ms > metrics["voice_to_voice_ms"] - 100


def test_asking_for_a_person_transfers_the_caller_to_a_second_phone(
    agent: AgentProcess, registrar: Kamailio, tmp_path: Path
) -> None:
    script = CallerScript.build([piper_speech("I'd like to speak to a person, please.")], lead_s=5.0,
                                gap_s=20.0, tail_s=1.0)
    known = len(agent.records())
    with Baresip("carol", USERS["carol"], registrar) as carol, \
            ScriptedCall(registrar, script, "caller2", tmp_path) as call:
        assert wait_for(lambda: "OK" in carol.command("reginfo")["data"], 10, 0.1), "carol did not register"
        call.dial(agent.uri)
        ringing = carol.wait_event("CALL_INCOMING", timeout=25)
        assert "caller2" in ringing["peeruri"]  # the caller was handed over, not the agent calling
        carol.command("accept")
        carol.wait_event("CALL_ESTABLISHED", timeout=5)
        record = agent.wait_records(known + 1)[-1]
        carol.command("hangup")
    assert record["outcome"] == "transferred", record
    (transfer,) = record["transfers"]
    assert transfer["destination"] == "carol" and transfer["succeeded"]
    assert any("colleague" in e["text"] for e in record["transcript"] if e["speaker"] == "assistant")


def test_a_transfer_that_fails_is_apologised_for_and_the_call_goes_on(
    agents: dict[str, AgentProcess], registrar: Kamailio, recogniser: WhisperSpeechToText, tmp_path: Path
) -> None:
    script = CallerScript.build([piper_speech("I'd like to speak to a person, please.")], lead_s=5.0,
                                gap_s=16.0, tail_s=1.0)
    agent = agents["agent3"]
    with ScriptedCall(registrar, script, "caller4", tmp_path / "caller") as call:
        call.dial(agent.uri)  # "nobody" is not registered: the registrar answers the caller's INVITE 404
        failure = "transfer to 'nobody' failed"
        assert wait_for(lambda: failure in agent.log_tail(10**8), script.duration_s, 0.1), agent.log_tail()
        assert call.established_at is not None
        # The caller listens until the apology said after the failure is over, then hangs up.
        call.wait_heard_speech(since_s=time.monotonic() - call.established_at, quiet_s=2.0)
        call.hang_up()
        sent, heard = call.sent(), call.heard()
        (record,) = agent.wait_records(1)
    assert record["outcome"] == "transfer_failed", record
    assert record["transfers"][0]["code"] == 404 and not record["transfers"][0]["succeeded"]
    (turn,) = analyse(sent, heard, script)
    assert turn.reply_onset_s is not None
    words = transcribe(recogniser, clip_pcm(heard, turn.reply_onset_s, script.duration_s))
    assert "colleague" in words and re.search(r"anything else", words), words


def test_sigterm_says_goodbye_hangs_up_and_unregisters(
    agent: AgentProcess, registrar: Kamailio, recogniser: WhisperSpeechToText, tmp_path: Path
) -> None:
    """Last in the module: it stops the module's agent."""
    script = CallerScript.build([], lead_s=30.0, gap_s=0.0, tail_s=1.0)  # the caller only listens
    known = len(agent.records())
    with ScriptedCall(registrar, script, "caller3", tmp_path / "caller") as call:
        call.dial(agent.uri)
        since = call.peer.event_count()
        time.sleep(1.5)  # the greeting is being spoken
        assert agent.terminate(60) == 0, agent.text()[-3000:]
        call.peer.wait_event("CALL_CLOSED", timeout=5, since=since)
        heard = call.heard()
        records = agent.records()
        assert len(records) == known + 1, agent.text()[-3000:] + agent.log_tail()
        assert records[-1]["outcome"] == "ended_at_shutdown", records[-1]
        # The greeting in progress was finished, then the goodbye was said, then the line closed.
        words = transcribe(recogniser, clip_pcm(heard, 0.0, voiced_frames(heard)[-1] / 50 + 0.3))
        assert re.search(r"help you.*good\s*-?\s*bye", words), words
        # Unregistered before exiting: the registrar no longer knows the agent.
        since = call.peer.event_count()
        call.peer.command("dial", agent.uri)
        closed = call.peer.wait_event("CALL_CLOSED", timeout=10, since=since)
        assert "404" in closed["param"], closed
