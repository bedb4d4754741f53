"""`earpiece ask`: the sample knowledge base, the offline responder, and Groq (real SDK, local
server) falling back to it; plain and JSON output, and clear errors."""

from __future__ import annotations

import json

import pytest

from earpiece.cli import main
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server

pytestmark = pytest.mark.models  # the embedding model, to ingest and search the sample knowledge base

QUESTION = "How many days do I have to return a product for a full refund?"


def test_ask_answers_from_the_sample_knowledge_base(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--json", QUESTION]) == 0
    result = json.loads(capsys.readouterr().out)
    assert "30 days" in result["answer"]
    assert result["provider"] == "offline" and result["intent"] == "question"
    assert result["sources"][0]["source"].endswith("returns-and-refunds.md")
    assert result["timings_ms"]["retrieval"] >= 0 and result["timings_ms"]["total"] >= 0

    assert main(["ask", "Who won the football yesterday?"]) == 0
    out = capsys.readouterr().out
    assert "connect you to a person" in out and "provider: guard" in out


def test_ask_with_groq_falling_back_shows_why(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with fake_openai_server(FakeConfig(mode=Mode.MODEL_404)) as server:
        monkeypatch.setenv("EARPIECE_SECRET_GROQ", "gsk_test_key_0123456789abcdef")
        monkeypatch.setenv("EARPIECE_LLM__PROVIDERS", '["groq", "offline"]')
        monkeypatch.setenv("EARPIECE_LLM__GROQ_BASE_URL", server.groq_base_url)
        monkeypatch.setenv("EARPIECE_LLM__GROQ_MODEL", "llama-3.1-8b-instant")
        assert main(["ask", QUESTION]) == 0
    out = capsys.readouterr().out
    assert "30 days" in out
    assert "provider: offline  (fell back: groq: error - HTTP 404 for model 'llama-3.1-8b-instant'" in out


def test_ask_names_the_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ask", "--kb", "no-such-kb", QUESTION]) == 1
    assert "no knowledge base named 'no-such-kb'" in capsys.readouterr().err
    assert main(["ask", "   "]) == 2
    assert "the question is empty" in capsys.readouterr().err
