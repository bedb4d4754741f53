"""hibari-tts: a small offline voice (Apache-2.0, 24 kHz), only the American voice in its wheel.

hibari fetches its other voices from the internet on first use; Earpiece never downloads at run
time, so any voice but the bundled one is refused when the provider is made. One model is loaded
per process and shared: onnxruntime's `InferenceSession.run` is thread-safe, and the
spelling-to-sound step (pure Python with lazily built parts) runs under a lock of ours.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import numpy as np
import onnxruntime
from hibari import Hibari  # type: ignore[import-untyped]
from hibari.voices import VOICES, voice_path  # type: ignore[import-untyped]

from earpiece.core.audio.pcm import float_to_pcm16, to_mono_16k, trim_leading_quiet
from earpiece.core.settings import TtsSettings
from earpiece.core.tts.onnx_voice import (
    LEAD_FLOOR_DBFS,
    LEAD_KEPT_MS,
    VOLUME,
    LocalVoice,
    voice_session_options,
)

TAIL_KEPT_MS = 150.0  # quiet kept after a sentence's last sound (hibari pads ~470 ms; Piper ~130)
BUNDLED_VOICES = tuple(name for name, voice in VOICES.items() if voice.get("bundled"))

_models: dict[str, Hibari] = {}
_models_lock = threading.Lock()
_g2p_lock = threading.Lock()


def check_voice(name: str) -> None:
    """Refuse a voice that is not inside the wheel (hibari would download it)."""
    if name not in BUNDLED_VOICES:
        others = ", ".join(v for v in VOICES if v not in BUNDLED_VOICES)
        raise ValueError(
            f"tts.hibari_voice is {name!r}, but only the voice inside the hibari-tts package "
            f"({', '.join(BUNDLED_VOICES)}) runs offline; hibari downloads the others ({others}) "
            "from the internet on first use, which Earpiece never does"
        )


def load_hibari(settings: TtsSettings) -> Hibari:
    """The voice of the settings, loaded and warmed once per process (~0.3 s + ~0.4 s)."""
    check_voice(settings.hibari_voice)
    with _models_lock:
        if settings.hibari_voice not in _models:
            model_path = voice_path(settings.hibari_voice, download_missing=False)
            tts = Hibari(voice=settings.hibari_voice, model=model_path, threads=1)
            # hibari makes its session with the memory arena on; ours is the one Piper runs with
            # (no arena, one thread that does not spin), for a process that answers calls for hours
            tts.sess = onnxruntime.InferenceSession(
                model_path, sess_options=voice_session_options(), providers=["CPUExecutionProvider"]
            )
            tts("Warm up.")  # the first run pays for the spelling-to-sound tables and the kernels
            _models[settings.hibari_voice] = tts
        return _models[settings.hibari_voice]


def _sentence_pcm16k(audio: Any) -> bytes:
    """One sentence of hibari's 24 kHz float audio -> 16 kHz PCM16, peak at VOLUME (as Piper's),
    its padding of silence cut to Piper's measure at both ends."""
    samples = to_mono_16k(np.asarray(audio, dtype=np.float32), Hibari.sample_rate)
    peak = float(np.abs(samples).max(initial=0.0))
    if peak > 0:
        samples = samples * (VOLUME / peak)
        last_loud = np.flatnonzero(np.abs(samples) > 10 ** (LEAD_FLOOR_DBFS / 20))[-1]
        samples = samples[: last_loud + int(TAIL_KEPT_MS * 16)]  # 16 samples per ms
    pcm = float_to_pcm16(samples)
    # hibari pads each sentence with ~0.3 s of silence in front: the caller would wait for it
    return trim_leading_quiet(pcm, LEAD_FLOOR_DBFS, LEAD_KEPT_MS)


def hibari_pcm16k(tts: Hibari, text: str, speaking_rate: float = 1.0) -> Iterator[bytes]:
    """Synthesize synchronously: 16 kHz mono PCM16, one chunk per sentence hibari sees."""
    with _g2p_lock:
        phonemes = tts.phonemize(text)
    rng = np.random.default_rng()
    for sentence in phonemes:
        yield _sentence_pcm16k(tts.from_ids(tts.ids(sentence), speaking_rate, rng))


class HibariTextToSpeech(LocalVoice[Hibari]):
    """`TextToSpeech` with hibari's bundled voice."""

    name = "hibari"

    def __init__(self, settings: TtsSettings, *, model: Hibari | None = None) -> None:
        if not 0.5 <= settings.speaking_rate <= 2.0:
            raise ValueError(
                f"tts.speaking_rate must be between 0.5 and 2.0 for hibari, got {settings.speaking_rate}"
            )
        check_voice(settings.hibari_voice)
        super().__init__(settings, model=model)

    def _load(self, settings: TtsSettings) -> Hibari:
        return load_hibari(settings)

    def _chunks(self, model: Hibari, text: str) -> Iterator[bytes]:
        return hibari_pcm16k(model, text, self._settings.speaking_rate)
