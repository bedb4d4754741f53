"""Piper: the offline text-to-speech voice (bundled en_US-joe-medium by default).

One `PiperVoice` per voice file is loaded per process and shared: onnxruntime's
`InferenceSession.run` is thread-safe and Piper guards its eSpeak phonemizer with its own lock,
so concurrent synthesis from several worker threads is safe without a lock of ours.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import onnxruntime
from piper import PiperConfig, PiperVoice, SynthesisConfig

from earpiece.core.audio.pcm import float_to_pcm16, to_mono_16k, trim_leading_quiet
from earpiece.core.models import piper_voice
from earpiece.core.settings import TtsSettings
from earpiece.core.tts.onnx_voice import (
    LEAD_FLOOR_DBFS,
    LEAD_KEPT_MS,
    VOLUME,
    LocalVoice,
    voice_session_options,
)

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
                    str(onnx), sess_options=voice_session_options(), providers=["CPUExecutionProvider"]
                ),
                config=PiperConfig.from_dict(config_dict),
            )
        return _voices[onnx]


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


class PiperTextToSpeech(LocalVoice[PiperVoice]):
    """`TextToSpeech` with Piper."""

    name = "piper"

    def __init__(self, settings: TtsSettings, *, voice: PiperVoice | None = None) -> None:
        if settings.speaking_rate <= 0:
            raise ValueError(f"tts.speaking_rate must be positive, got {settings.speaking_rate}")
        super().__init__(settings, model=voice)

    def _load(self, settings: TtsSettings) -> PiperVoice:
        return load_piper_voice(settings)

    def _chunks(self, model: PiperVoice, text: str) -> Iterator[bytes]:
        chunks = piper_pcm16k(model, text, self._settings.speaking_rate)
        # Piper starts each text with ~40 ms of near-silence (-90 dBFS): the caller would wait for it
        if (first := next(chunks, None)) is not None:
            yield trim_leading_quiet(first, LEAD_FLOOR_DBFS, LEAD_KEPT_MS)
            yield from chunks
