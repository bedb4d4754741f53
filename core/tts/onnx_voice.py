"""What the offline voices (Piper, hibari) share: their onnxruntime session and the shape of their
output, so a reply sounds equally loud and starts equally soon whichever voice speaks it."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator
from typing import Generic, TypeVar

import onnxruntime

from earpiece.core.settings import TtsSettings

VOLUME = 0.9  # each sentence's peak; headroom for the resampler
LEAD_FLOOR_DBFS = -50.0  # a reply's audio starts this loud ...
LEAD_KEPT_MS = 5.0  # ... and this long before (the onset's ramp)


def voice_session_options() -> onnxruntime.SessionOptions:
    """A voice's session, made for a process that answers calls for hours (measured in bench/soak).

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


ModelT = TypeVar("ModelT")


class LocalVoice(ABC, Generic[ModelT]):
    """A `TextToSpeech` over a model loaded once per process (`_load`), each sentence synthesized in a
    worker thread (`_chunks`) so the event loop and the other calls go on meanwhile."""

    name: str

    def __init__(self, settings: TtsSettings, *, model: ModelT | None = None) -> None:
        self._settings = settings
        self._model = model

    @abstractmethod
    def _load(self, settings: TtsSettings) -> ModelT: ...

    @abstractmethod
    def _chunks(self, model: ModelT, text: str) -> Iterator[bytes]:
        """Synchronously: 16 kHz mono PCM16, one chunk per sentence the voice sees."""

    async def load(self) -> ModelT:
        """Load the voice now (otherwise the first sentence pays for it)."""
        if self._model is None:
            self._model = await asyncio.to_thread(self._load, self._settings)
        return self._model

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        chunks = self._chunks(await self.load(), text)
        while (pcm := await asyncio.to_thread(next, chunks, None)) is not None:
            yield pcm
