"""An agent on a node with no knowledge store of its own answers a real call from a knowledge base
an admin published to a `chroma run` server (knowledge.index_url)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.cli import main
from tests.audio_gen import piper_speech
from tests.e2e.harness import AgentProcess, CallerScript, ScriptedCall
from tests.knowledge import documents as docs
from tests.knowledge.chroma_server import chroma_server
from tests.peers.kamailio import Kamailio

__all__ = ["chroma_server"]  # the fixture

pytestmark = [pytest.mark.peers, pytest.mark.models]

USERS = {"agent": "agent-pw", "caller1": "caller1-pw"}


@pytest.fixture
def registrar() -> Iterator[Kamailio]:
    with Kamailio(users=USERS) as kamailio:
        yield kamailio


def test_an_agent_answers_from_the_knowledge_base_served_by_chroma(
    registrar: Kamailio, chroma_server: str, tmp_path: Path
) -> None:
    depot = docs.write_md(tmp_path / "depot.md", "Depot", [
        ("Sunday opening", ["On Sundays the Leicester depot opens at 7:00 am and closes at 1:00 pm."]),
    ])
    admin = tmp_path / "admin-store"
    assert main(["kb", "--store", str(admin), "create", "depot"]) == 0
    assert main(["kb", "--store", str(admin), "add", "--quiet", "--kb", "depot", str(depot)]) == 0
    assert main(["kb", "--store", str(admin), "publish", "--to", chroma_server]) == 0

    node = tmp_path / "node"  # its own, empty data folder: the knowledge can only come from the server
    with AgentProcess(registrar, "agent", USERS["agent"], node, extra_args=("--kb", "depot"),
                      extra_env={"EARPIECE_KNOWLEDGE__INDEX_URL": chroma_server}) as agent:
        script = CallerScript.build([piper_speech("When does the Leicester depot open on Sundays?")],
                                    lead_s=5.0, gap_s=13.0, tail_s=3.0)
        with ScriptedCall(registrar, script, "caller1", tmp_path / "call") as call:
            call.run(agent.uri, done=lambda: agent.replies() >= 1)
        record = agent.wait_records(1)[-1]
        agent.terminate(30)
    (turn,) = [t for t in record["turns"] if t["speaker"] == "caller"]
    assert "7:00 am" in turn["answer"] and turn["sources"] == [str(depot)], turn
    assert not (node / "data" / "knowledge").exists()
