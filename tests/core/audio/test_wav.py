"""WAV input of any rate and channel count becomes 16 kHz mono; bad files fail clearly."""

from __future__ import annotations

import subprocess
import wave
from pathlib import Path

import numpy as np
import pytest

from earpiece.core.audio.frames import BYTES_PER_FRAME
from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.wav import WavFormatError, read_wav_16k, write_wav
from tests.audio_gen import tone


def test_stereo_8k_becomes_mono_16k(tmp_path: Path) -> None:
    t = np.arange(8000) / 8000
    left = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    stereo = np.stack([left, left], axis=1).tobytes()
    path = tmp_path / "stereo8k.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(8000)
        wav.writeframes(stereo)
    pcm = read_wav_16k(path)
    samples = np.frombuffer(pcm, dtype="<i2")
    assert len(samples) == pytest.approx(16000, abs=2)
    spectrum = np.abs(np.fft.rfft(samples))
    assert np.argmax(spectrum) * 16000 / len(samples) == pytest.approx(440, abs=2)


def test_round_trip(tmp_path: Path) -> None:
    pcm = tone(500)
    assert read_wav_16k(write_wav(tmp_path / "t.wav", pcm)) == pcm


def test_8_bit_wav_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "8bit.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(bytes(800))
    with pytest.raises(WavFormatError, match="8-bit samples; only 16-bit PCM"):
        read_wav_16k(path)


def test_float_wav_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "float.wav"
    subprocess.run(["sox", "-n", "-r", "16000", "-e", "floating-point", "-b", "32", str(path),
                    "synth", "0.2", "sine", "440"], check=True, timeout=30)
    with pytest.raises(WavFormatError, match="not a PCM WAV file"):
        read_wav_16k(path)


def test_not_a_wav_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.wav"
    path.write_text("hello")
    with pytest.raises(WavFormatError, match="not a PCM WAV file"):
        read_wav_16k(path)


def test_split_frames_pads_the_last_frame() -> None:
    frames = split_frames(bytes(BYTES_PER_FRAME * 2 + 10), start_at=5.0)
    assert len(frames) == 3
    assert [f.captured_at for f in frames] == pytest.approx([5.0, 5.02, 5.04])
    assert frames[-1].pcm[10:] == bytes(BYTES_PER_FRAME - 10)
