"""Reading and writing WAV files in the engine's format (16 kHz mono PCM16)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import float_to_pcm16, to_mono_16k


class WavFormatError(ValueError):
    """The file is not a WAV file this program can read."""


def read_wav_16k(path: Path) -> bytes:
    """Any PCM16 WAV (any rate, mono or stereo) -> 16 kHz mono PCM16 bytes."""
    try:
        with wave.open(str(path), "rb") as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise WavFormatError(
            f"{path} is not a PCM WAV file ({exc}). Convert it first, e.g. "
            f"`sox IN -b 16 -e signed-integer OUT.wav`."
        ) from exc
    if width != 2:
        raise WavFormatError(
            f"{path} has {8 * width}-bit samples; only 16-bit PCM is supported. "
            f"Convert it with `sox IN -b 16 OUT.wav`."
        )
    samples = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    if channels > 1:
        samples = samples[: len(samples) - len(samples) % channels].reshape(-1, channels)
    return float_to_pcm16(to_mono_16k(samples, rate))


def write_wav(path: Path, pcm16k: bytes, sample_rate: int = SAMPLE_RATE) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm16k)
    return path
