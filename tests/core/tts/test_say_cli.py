"""`earpiece say "TEXT" -o OUT.wav`."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.audio.wav import read_wav_16k
from earpiece.core.stt import WhisperSpeechToText
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, Mode

pytestmark = pytest.mark.models


def run_transcribe(stt: WhisperSpeechToText, pcm: bytes) -> set[str]:
    return set(re.findall(r"[a-z]+", asyncio.run(stt.transcribe(pcm)).text.lower()))


def test_say_writes_a_wav_the_recogniser_understands(
    stt: WhisperSpeechToText, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "reply.wav"
    assert main(["say", "**Hello!** Your parcel 📦 arrives on Monday.", "-o", str(out)]) == 0
    assert "voiced by hibari" in capsys.readouterr().err
    assert {"parcel", "monday"} <= run_transcribe(stt, read_wav_16k(out))


def test_say_falls_back_to_piper_when_edge_refuses(
    edge_server: FakeEdgeTtsServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edge_server.mode = Mode.ERROR
    out = tmp_path / "reply.wav"
    code = main([
        "say", "One moment please.", "-o", str(out),
        "--provider", "edge", "--provider", "piper", "--edge-endpoint", edge_server.endpoint,
    ])
    edge_server.mode = Mode.OK
    assert code == 0
    err = capsys.readouterr().err
    assert "edge failed: EdgeTtsError: edge-tts refused the request: HTTP 403" in err
    assert "voiced by piper" in err
    assert out.stat().st_size > 10_000


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["say", "   ", "-o", "{tmp}/a.wav"], "the text is empty"),
        (["say", "👍 🎉 { }", "-o", "{tmp}/a.wav"], "no speakable words"),
        (["say", "Hello.", "-o", "{tmp}/missing/a.wav"], "does not exist"),
    ],
)
def test_say_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main([a.replace("{tmp}", str(tmp_path)) for a in argv]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "a.wav").exists()
