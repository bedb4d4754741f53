"""Analytics on the record of a real call: `earpiece agent` registered at Kamailio answers a
baresip caller who asks one question the sample knowledge base cannot answer, then one it answers
(in that order: a question after an answered one may be taken as its follow-up)."""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.analytics import CallAnalyser, CallArchive, Disposition, gap_questions, group_gaps
from earpiece.core.analytics.stored_summary import summary_path
from earpiece.core.analytics.timeline import SPEECH_DURATION
from earpiece.core.answers.model import AnswerModel, model_path
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from tests.audio_gen import piper_speech
from tests.e2e.harness import AgentProcess, CallerScript, ScriptedCall
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

pytestmark = [pytest.mark.peers, pytest.mark.models]

USERS = {"agent": "agent-pw"}
ANSWERED = "How much does delivery cost?"
UNKNOWN = "Are you hiring at the moment?"
AGENT_SUMMARY = "summary-stored-by-the-agent.json"


@pytest.fixture(scope="module")
def call_record(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    home = tmp_path_factory.mktemp("agent")
    script = CallerScript.build([piper_speech(UNKNOWN), piper_speech(ANSWERED)], lead_s=5.0, gap_s=14.0,
                                tail_s=2.0)
    with Kamailio(users=USERS) as registrar, AgentProcess(registrar, "agent", USERS["agent"], home) as agent:
        with ScriptedCall(registrar, script, "caller1", home / "caller") as call:
            call.run(agent.uri, done=lambda: agent.replies() >= 2)
        (record,) = agent.wait_records(1)
        path = agent.calls_dir / f"{record['call_id']}.json"
        # kept aside before any test analyses the record (which would store a summary itself)
        if wait_for(lambda: summary_path(path).exists(), 20):
            shutil.copy(summary_path(path), home / AGENT_SUMMARY)
    yield path


def test_a_real_call_is_summarised_with_its_gap(call_record: Path, call_analyser: CallAnalyser,
                                                embedder: MiniLmEmbedder, tmp_path: Path) -> None:
    archive = CallArchive(call_record.parent, tmp_path / "none.jsonl")
    (call,) = archive.calls()
    analysis = call_analyser.analyse(call)
    assert analysis.disposition is Disposition.ANSWERED and analysis.intent == "delivery"
    assert (analysis.questions, analysis.answered, analysis.declined) == (2, 1, 1)
    assert analysis.summary.told[0] == "no answer known" and "4.95" in analysis.summary.told[1]
    assert "hiring" in analysis.summary.wanted[0].lower() and "deliver" in analysis.summary.wanted[1].lower()
    talk = analysis.talk
    assert talk.seconds["assistant"] > talk.seconds["caller"]
    # the engine records when the caller's speech began and how long it lasted: measured, not estimated
    spoken_s = sum(t[SPEECH_DURATION] for t in call.turns) / 1000
    assert not talk.estimated and talk.seconds["caller"] == pytest.approx(spoken_s, abs=0.02)
    assert 1.0 < spoken_s < 6.0  # two short questions in the Piper voice
    assert 5 < talk.longest_silence_s < call.duration_s  # the caller waits ~14 s after each question
    spoken = sorted(t["voice_to_voice_ms"] for t in call.turns if t["voice_to_voice_ms"])
    assert spoken[0] <= analysis.latency_ms["voice_to_voice_p50"] <= spoken[-1]
    assert analysis.latency_ms["voice_to_voice_p95"] >= analysis.latency_ms["voice_to_voice_p50"]
    (group,) = group_gaps(gap_questions([call], 0.5), embedder)
    assert group.count == 1 and "hiring" in group.label.lower()
    # the spoken answer's confidence is recorded, at or above where the selector speaks: a gap
    # floor above that (analytics.low_confidence) can flag it
    (answer_turn,) = [t for t in call.turns if t.get("sources") and not t.get("declined")]
    assert AnswerModel.from_file(model_path()).threshold <= answer_turn["confidence"] <= 1.0


def test_the_agent_stored_the_calls_summary(call_record: Path) -> None:
    """The call controller summarises each call once it is over, beside its record."""
    kept = call_record.parents[1] / AGENT_SUMMARY
    assert kept.exists(), "the agent stored no summary after the call"
    stored = json.loads(kept.read_text())
    assert stored["record_sha256"] == hashlib.sha256(call_record.read_bytes()).hexdigest()
    assert "hiring" in stored["wanted"][0].lower() and "4.95" in stored["told"][1]


def test_calls_show_reads_the_agents_folder(call_record: Path, capsys: pytest.CaptureFixture[str]) -> None:
    call_id = call_record.stem
    assert main(["calls", "show", call_id, "--json", "--calls-dir", str(call_record.parent)]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["call_id"] == call_id and shown["account_id"] == "agent" and shown["source"] == "agent"
    assert shown["remote_uri"].startswith("sip:caller1@")
