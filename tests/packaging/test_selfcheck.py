"""`earpiece selfcheck` in the development install (the bundle runs it in test_bundle.py): a spoken
question through the shipped factory's call session, answered aloud."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from earpiece.cli import main

pytestmark = pytest.mark.models


def test_selfcheck_passes_and_fails_on_the_expected_fact(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["selfcheck"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["ok"] and "30 days" in result["answer"]
    assert "refund" in result["transcript"].lower()  # heard by the session's recogniser
    assert result["passages"][0]["source"] == "returns-and-refunds.md"
    # The answer went through the shipped session, which speaks it into the call: seconds of speech.
    assert result["reply_s"] > 2
    assert set(result["seconds"]) == {"tts", "ingest", "stt", "retrieval"}
    assert result["runtime"]["frozen"] is False

    # Same models (already loaded): an expectation the knowledge base does not hold must fail.
    assert main(["selfcheck", "--expect", "45 days"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result["ok"] and "30 days" in result["answer"]


def test_selfcheck_reports_a_missing_model_as_json(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("EARPIECE_TTS__PIPER_VOICE", str(tmp_path / "missing.onnx"))
    assert main(["selfcheck"]) == 1
    result = json.loads(capsys.readouterr().out)
    assert not result["ok"]
    assert "ModelNotFoundError" in result["error"] and "tts.piper_voice" in result["error"]
