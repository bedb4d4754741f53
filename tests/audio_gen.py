"""Test audio made at test time: speech (Piper, eSpeak NG), tones, silence and noise.

Everything is 16 kHz mono PCM16 bytes, the engine's format. Example:

    pcm = concat(silence(300), piper_speech("Where is my parcel?"), silence(800))
    frames = split_frames(pcm)            # from earpiece.core.audio.pcm
    write_wav(tmp_path / "q.wav", pcm)    # from earpiece.core.audio.wav
"""

from __future__ import annotations

import functools
import io
import shutil
import subprocess
import wave

import numpy as np

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import float_to_pcm16, to_mono_16k
from earpiece.core.settings import TtsSettings
from earpiece.core.tts.piper import load_piper_voice, piper_pcm16k


def piper_speech(text: str, speaking_rate: float = 1.0) -> bytes:
    """The bundled Piper voice (loaded once per process, about 2 s), the same audio every time.

    With Piper's prosody noise on, a clip's pauses moved from run to run and a barge-in test
    failed one clean-clone run in several.
    """
    return b"".join(piper_pcm16k(load_piper_voice(TtsSettings()), text, speaking_rate, varied=False))


@functools.cache
def espeak_speech(text: str, voice: str = "en-us", words_per_minute: int = 160) -> bytes:
    """eSpeak NG (robotic, a harder test for the recogniser). Needs the `espeak-ng` program."""
    program = shutil.which("espeak-ng")
    if program is None:
        raise RuntimeError("espeak-ng is not installed (apt-get install -y espeak-ng)")
    wav_bytes = subprocess.run(
        [program, "-v", voice, "-s", str(words_per_minute), "--stdout", text],
        check=True, capture_output=True, timeout=30,
    ).stdout
    with wave.open(io.BytesIO(wav_bytes)) as wav:
        rate = wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(np.float32) / 32768
    return float_to_pcm16(to_mono_16k(samples, rate))


def silence(ms: int) -> bytes:
    return bytes(SAMPLE_RATE * ms // 1000 * 2)


def tone(ms: int, hz: float = 440.0, amplitude: float = 0.3) -> bytes:
    t = np.arange(SAMPLE_RATE * ms // 1000) / SAMPLE_RATE
    return float_to_pcm16(amplitude * np.sin(2 * np.pi * hz * t))


def noise(ms: int, amplitude: float = 0.1, seed: int = 0) -> bytes:
    """White noise (seeded, so a test is repeatable)."""
    rng = np.random.default_rng(seed)
    return float_to_pcm16(rng.normal(0.0, amplitude, SAMPLE_RATE * ms // 1000))


def concat(*parts: bytes) -> bytes:
    return b"".join(parts)
