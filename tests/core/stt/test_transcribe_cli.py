"""`earpiece transcribe FILE.wav [--json]`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.audio.wav import write_wav
from earpiece.core.settings import SttSettings
from earpiece.core.stt import WhisperSpeechToText
from tests.audio_gen import concat, espeak_speech, silence

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def question_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("wav") / "question.wav"
    speech = espeak_speech("What time do you open on Monday?")
    return write_wav(path, concat(silence(300), speech, silence(300)))


def test_transcribe_prints_the_text(
    stt: WhisperSpeechToText, question_wav: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", str(question_wav)]) == 0
    out = capsys.readouterr().out.lower()
    assert "open" in out and "monday" in out


def test_transcribe_silence_prints_nothing(
    stt: WhisperSpeechToText, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transcribe", str(write_wav(tmp_path / "quiet.wav", silence(1500)))]) == 0
    assert capsys.readouterr().out.strip() == ""


def test_transcribe_json_in_a_separate_process(question_wav: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "earpiece", "transcribe", str(question_wav), "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert "monday" in record["text"].lower()
    assert record["model"] == SttSettings().model and record["audio_s"] > 2 and record["stt_s"] > 0
    assert 0 <= record["no_speech_prob"] < 0.5


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["transcribe", str(tmp_path / "nope.wav")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_not_a_wav_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("not audio")
    assert main(["transcribe", str(path)]) == 2
    assert "not a PCM WAV file" in capsys.readouterr().err


def test_missing_model_is_explained(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("EARPIECE_STT__MODEL", str(tmp_path / "no-such-model"))
    assert main(["transcribe", str(write_wav(tmp_path / "a.wav", silence(500)))]) == 1
    assert "stt.model" in capsys.readouterr().err
