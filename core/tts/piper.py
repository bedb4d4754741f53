"""Piper: the offline text-to-speech voice (bundled en_US-joe-medium by default).

One `PiperVoice` per voice file is loaded per process and shared: onnxruntime's
`InferenceSession.run` is thread-safe and Piper guards its eSpeak phonemizer with its own lock,
so concurrent synthesis from several worker threads is safe without a lock of ours.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig

from earpiece.core.audio.pcm import float_to_pcm16, to_mono_16k, trim_leading_quiet
from earpiece.core.models import piper_voice
from earpiece.core.settings import TtsSettings

VOLUME = 0.9  # Piper peak-normalises each sentence; leave headroom for the resampler
LEAD_FLOOR_DBFS = -50.0  # a reply's audio starts this loud ...
LEAD_KEPT_MS = 5.0  # ... and this long before (the onset's ramp)

_voices: dict[Path, PiperVoice] = {}
_voices_lock = threading.Lock()


def load_piper_voice(settings: TtsSettings) -> PiperVoice:
    """The voice named by the settings (or the bundled one), loaded once per process (1-2 s)."""
    onnx, config = piper_voice(settings).files
    with _voices_lock:
        if onnx not in _voices:
            config_dict = json.loads(Path(config).read_text(encoding="utf-8"))
            _voices[onnx] = PiperVoice(
                session=onnxruntime.InferenceSession(
                    str(onnx), sess_options=_session_options(), providers=["CPUExecutionProvider"]
                ),
                config=PiperConfig.from_dict(config_dict),
            )
        return _voices[onnx]


def _session_options() -> onnxruntime.SessionOptions:
    """Piper's session, made for a process that answers calls for hours (measured in bench/soak).

    With onnxruntime's defaults the CPU memory arena keeps the largest demand ever seen (Piper needs
    ~16 MB per second of audio, up to four calls at once): the agent's RSS grew in doubling steps,
    +121 MB over 40 calls. Without the arena (and glibc trimmed after each call) it stays flat. One
    thread that does not spin while waiting also costs 15-35 % less CPU per sentence than two
    spinning ones, which more than pays for the arena's absence (+9-19 %).
    """
    options = onnxruntime.SessionOptions()
    options.enable_cpu_mem_arena = False
    options.intra_op_num_threads = 1
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def piper_pcm16k(
    voice: PiperVoice, text: str, speaking_rate: float = 1.0, *, varied: bool = True
) -> Iterator[bytes]:
    """Synthesize synchronously: 16 kHz mono PCM16, one chunk per sentence Piper sees.

    Piper samples fresh prosody noise on every call, so the same text comes out with different
    timing each time; `varied=False` turns that noise off for audio that must be reproducible.
    """
    config = SynthesisConfig(length_scale=voice.config.length_scale / speaking_rate, volume=VOLUME)
    if not varied:
        config.noise_scale = config.noise_w_scale = 0.0
    for chunk in voice.synthesize(text, syn_config=config):
        yield float_to_pcm16(to_mono_16k(chunk.audio_float_array, chunk.sample_rate))


class PiperTextToSpeech:
    """`TextToSpeech` with Piper; each sentence is synthesized in a worker thread."""

    name = "piper"

    def __init__(self, settings: TtsSettings, *, voice: PiperVoice | None = None) -> None:
        if settings.speaking_rate <= 0:
            raise ValueError(f"tts.speaking_rate must be positive, got {settings.speaking_rate}")
        self._settings = settings
        self._voice = voice

    async def load(self) -> PiperVoice:
        """Load the voice now (otherwise the first sentence pays for it)."""
        if self._voice is None:
            self._voice = await asyncio.to_thread(load_piper_voice, self._settings)
        return self._voice

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        voice = await self.load()
        chunks = piper_pcm16k(voice, text, self._settings.speaking_rate)
        first = True
        while (pcm := await asyncio.to_thread(next, chunks, None)) is not None:
            # Piper starts each text with ~40 ms of near-silence (-90 dBFS): the caller would wait for it
            yield trim_leading_quiet(pcm, LEAD_FLOOR_DBFS, LEAD_KEPT_MS) if first else pcm
            first = False
