"""Moonshine base English through `moonshine-cpp` 0.1.4 (MIT, Moonshine AI), for comparison only:
its wheel ships the base-en weights (`models/base-en/`, 63 MB of ORT files), the C library that runs
them and its own onnxruntime 1.22; for English it never downloads anything.

Not a product recogniser: on the 82 test questions it is 14.6 % / 34.2 % WER (wideband /
narrowband) against tiny's 19.8 / 37.6 %, but costs ~3x tiny's CPU (~1.1 s per utterance), and
its C library leaks ~75 MB per utterance (the package's own `transcribe_wav` too; freeing the model
gives none of it back), so a process that uses it grows by ~6 GB per 82 utterances.

The package's Python `MoonshineModel.transcribe` cannot run (it builds `ctypes.c_float_p`, which
does not exist), so the C function `moonshine_transcribe` is called on the samples' buffer. The C
library takes no options (no vocabulary, no thread count).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
from pathlib import Path

import numpy as np

from earpiece.core.audio.pcm import duration_s, pcm16_to_float
from earpiece.core.interfaces import Transcript
from earpiece.core.stt.gate import SpeechGate
from earpiece.core.stt.whisper import clean_transcript_text, is_known_hallucination

PACKAGE = "moonshine_cpp"
MODEL_FOLDER = "models/base-en"


def model_folder() -> Path:
    """The base-en folder inside the installed wheel, found without importing the package (the
    import loads its C libraries)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("moonshine-cpp is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / MODEL_FOLDER


class MoonshineBaseDecoder:
    """One loaded base-en model; calling it decodes float32 16 kHz samples to text."""

    def __init__(self, folder: Path) -> None:
        module = importlib.import_module(f"{PACKAGE}.{PACKAGE}")
        self._lib = module.moonshine_lib
        self._model = module.MoonshineModel(model_dir_path=str(folder), model_type="base")

    def __call__(self, samples: np.ndarray) -> str:
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        text = ctypes.c_char_p()
        error = self._lib.moonshine_transcribe(
            self._model.model_handle,
            audio.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            audio.size,
            ctypes.byref(text),
        )
        if error != 0:
            raise RuntimeError(f"Moonshine base failed on {audio.size} samples (error {error})")
        try:
            return (text.value or b"").decode("utf-8", errors="replace")
        finally:
            self._lib.moonshine_free_text(text)


class MoonshineBaseSpeechToText:
    """`SpeechToText` for the benchmark: the product's speech gate and transcript cleaning around
    Moonshine base, decoding in the calling thread (so the process CPU time is the model's)."""

    name = "moonshine-base"

    def __init__(self) -> None:
        self._gate = SpeechGate()
        self._decode: MoonshineBaseDecoder | None = None

    async def load(self) -> None:
        if self._decode is None:
            self._decode = MoonshineBaseDecoder(model_folder())

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        if (silent := self._gate.silent(pcm16k)) is not None:
            return silent
        await self.load()
        assert self._decode is not None
        text = clean_transcript_text(self._decode(pcm16_to_float(pcm16k)))
        if is_known_hallucination(text):
            text = ""
        return Transcript(text, no_speech_prob=0.0 if text else 1.0, audio_s=duration_s(pcm16k))
