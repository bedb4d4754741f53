"""Speech to text with Moonshine tiny English (`moonshine-voice==0.1.0`, MIT; the weights ship in
the wheel, later versions download them).

Moonshine's encoder runs on the audio it is given, not a padded 30 s window, so a 2 s question
costs a fraction of what Whisper costs. It takes no hotwords: the `hotwords` argument is accepted
for the `SpeechToText` protocol and ignored. One transcriber per process, its calls serialised
(the C library does not document thread safety); a call is short, so the queue stays short.
Silence and noise are gated by webrtcvad before the model, as for Whisper.
"""

from __future__ import annotations

import asyncio
import os
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import duration_s, pcm16_to_float
from earpiece.core.interfaces import Transcript
from earpiece.core.models import ModelLocation, ModelNotFoundError
from earpiece.core.stt.gate import SpeechGate
from earpiece.core.stt.whisper import clean_transcript_text, is_known_hallucination

MOONSHINE_MODELS = {"moonshine-tiny": "tiny-en"}  # `stt.model` name -> folder in the wheel's assets
# Read by the library when it creates its ONNX Runtime sessions: set, they run on the calling thread
# only; unset, each session spins a thread per core. Measured in one process (load ~6 on 2 cores,
# 18 utterances, p50): one thread 0.11 s CPU / 0.22 s wall per utterance, a thread per core
# 0.27 s CPU / 0.60 s wall; the same transcripts on 60 dev utterances (wideband and narrowband).
_SINGLE_THREAD_ENV = "MOONSHINE_ORT_SINGLE_THREAD"
_WORD = re.compile(r"[^\W_]")  # a letter or digit


def moonshine_model(name: str = "moonshine-tiny") -> ModelLocation:
    """Where the wheel keeps the model `name` (what `earpiece doctor` reports)."""
    if name not in MOONSHINE_MODELS:
        raise ModelNotFoundError(f"{name!r} is not a Moonshine model ({', '.join(MOONSHINE_MODELS)})")
    try:
        from moonshine_voice.utils import get_model_path
    except ImportError as exc:
        raise ModelNotFoundError(
            "Moonshine is not installed: `pip install moonshine-voice==0.1.0` (later versions "
            "download their weights at run time)."
        ) from exc
    folder = Path(get_model_path(MOONSHINE_MODELS[name]))
    if not (folder / "encoder_model.ort").is_file():
        raise ModelNotFoundError(
            f"Moonshine's {name} model is missing from {folder}: reinstall moonshine-voice==0.1.0"
        )
    return ModelLocation("speech-to-text", (folder,), "moonshine-voice")


def spoken_lines(lines: Iterable[str]) -> str:
    """Moonshine's lines joined, without those that are only a breath's "you" or a lone punctuation
    mark: what it made of the line noise before a question over a call ("? How long do I have...")."""
    cleaned = (clean_transcript_text(line) for line in lines)
    return " ".join(line for line in cleaned if _WORD.search(line) and not is_known_hallucination(line))


class MoonshineModel:
    """The loaded Moonshine transcriber; `text` is thread-safe (calls are serialised).

    `threads`: 1 runs each inference on the calling thread; more lets ONNX Runtime use a thread
    per core (the library takes no other count). The choice is made through the process's
    environment, so models are loaded one at a time (`load_moonshine_model`)."""

    def __init__(self, name: str = "moonshine-tiny", *, threads: int = 1) -> None:
        folder = moonshine_model(name).files[0]
        from moonshine_voice import ModelArch, Transcriber

        if threads == 1:
            os.environ[_SINGLE_THREAD_ENV] = "1"
        else:
            os.environ.pop(_SINGLE_THREAD_ENV, None)
        # Speaker identification is on by default and costs time per call: off.
        self._transcriber = Transcriber(str(folder), ModelArch.TINY, options={"identify_speakers": "false"})
        self._lock = threading.Lock()

    def text(self, samples: np.ndarray) -> str:
        with self._lock:
            result = self._transcriber.transcribe_without_streaming(samples.tolist(), SAMPLE_RATE)
        return spoken_lines(line.text for line in result.lines)


_models: dict[tuple[str, int], MoonshineModel] = {}
_models_lock = threading.Lock()


def load_moonshine_model(name: str = "moonshine-tiny", *, threads: int = 1) -> MoonshineModel:
    """The shared transcriber (about 1.5 s the first time); one thread or one per core."""
    key = (name, 1 if threads == 1 else 0)
    with _models_lock:
        if key not in _models:
            _models[key] = MoonshineModel(name, threads=threads)
        return _models[key]


class MoonshineSpeechToText:
    """`SpeechToText` with Moonshine tiny English."""

    name = "moonshine"

    def __init__(self, model: str = "moonshine-tiny", *, threads: int = 1, min_voiced_ms: int = 120) -> None:
        self._model_name = model
        self._threads = threads
        self._gate = SpeechGate(min_voiced_ms)
        self._model: MoonshineModel | None = None

    def load_blocking(self) -> None:
        """Load the model in the calling thread."""
        if self._model is None:
            self._model = load_moonshine_model(self._model_name, threads=self._threads)

    async def load(self) -> None:
        """Load the model now (otherwise the first utterance pays for it)."""
        if self._model is None:
            await asyncio.to_thread(self.load_blocking)

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        if (silent := self._gate.silent(pcm16k)) is not None:
            return silent
        await self.load()
        return await asyncio.to_thread(self.recognise, pcm16k, hotwords)

    def recognise(self, pcm16k: bytes, hotwords: str | None = None) -> Transcript:
        """Decode in the calling thread, without the speech gate (what a pool worker runs)."""
        self.load_blocking()
        assert self._model is not None
        text = clean_transcript_text(self._model.text(pcm16_to_float(pcm16k)))
        if is_known_hallucination(text):
            text = ""
        return Transcript(text, no_speech_prob=0.0 if text else 1.0, audio_s=duration_s(pcm16k))
