"""A scripted caller (real speech frames, paced in real time), a playback sink, and stand-in
stages with the engine's protocols, for the session tests."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import TypeVar

from earpiece.cli.offline_call import RealtimeCaller
from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.engine.events import EngineEvent
from earpiece.core.interfaces import Passage, Transcript
from tests.audio_gen import espeak_speech, tone

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000
E = TypeVar("E")


class ScriptedCaller:
    """Frames of silence, with speech queued by `say()`; `last_said` is what the fake STT hears.

    Speakers sharing a `heard` list append to it as they start each utterance (for two streams).
    The frames are the offline call's `RealtimeCaller`'s."""

    def __init__(self, heard: list[str] | None = None) -> None:
        self.heard = heard if heard is not None else []
        self.last_said = ""
        self._line = RealtimeCaller()
        self.frames = self._line.frames
        self.hang_up = self._line.hang_up

    def say(self, text: str, *, pcm: bytes | None = None, pause_after_ms: int = 0) -> None:
        speech = pcm if pcm is not None else espeak_speech(text)
        self._line.say(speech + bytes(BYTES_PER_MS * pause_after_ms), lambda: self._started(text))

    @property
    def speaking(self) -> bool:
        return self._line.speaking

    def _started(self, text: str) -> None:
        self.last_said = text
        self.heard.append(text)


class PlaybackSink:
    """An `AudioSink` that 'plays' in real time: pending audio drains as the clock runs."""

    def __init__(self) -> None:
        self.written = bytearray()
        self.writes: list[tuple[float, int]] = []
        self.flushes = 0
        self._play_until = 0.0

    def write(self, pcm: bytes) -> None:
        now = time.monotonic()
        self.written += pcm
        self.writes.append((now, len(pcm)))
        self._play_until = max(now, self._play_until) + len(pcm) / BYTES_PER_MS / 1000

    def flush(self) -> None:
        self.flushes += 1
        self._play_until = time.monotonic()

    def pending_ms(self) -> float:
        return max(0.0, (self._play_until - time.monotonic()) * 1000)


class HeardSpeechToText:
    """Returns what the scripted caller last said (after a recogniser-like delay)."""

    name = "fake-stt"

    def __init__(self, heard: Callable[[], str], delay_s: float = 0.05) -> None:
        self._heard = heard
        self._delay_s = delay_s
        self.calls = 0

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        self.calls += 1
        heard = self._heard()
        await asyncio.sleep(self._delay_s)
        return Transcript(heard, audio_s=len(pcm16k) / 32000)


class ToneTextToSpeech:
    """A tone, 15 ms per character (capped), for every sentence; remembers the sentences."""

    name = "fake-tts"

    def __init__(self, ms_per_char: int = 15, max_ms: int = 3000) -> None:
        self.sentences: list[str] = []
        self.started_at: list[float] = []
        self._ms_per_char = ms_per_char
        self._max_ms = max_ms

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        self.sentences.append(text)
        self.started_at.append(time.monotonic())
        await asyncio.sleep(0.01)
        total = min(self._max_ms, self._ms_per_char * len(text))
        for start in range(0, total, 200):
            yield tone(min(200, total - start), hz=220)


class RealTimeTextToSpeech:
    """A tone of `ms_per_char` per character, produced in real time (a chunk every `chunk_ms`,
    as a streaming voice would), so a reply is still being synthesised while it plays. Counts
    the chunks produced, and the sentences whose synthesis was abandoned (closed early)."""

    name = "real-time-tts"

    def __init__(self, ms_per_char: int = 60, chunk_ms: int = 100) -> None:
        self.ms_per_char = ms_per_char
        self.chunk_ms = chunk_ms
        self.sentences: list[str] = []
        self.chunks = 0
        self.abandoned = 0

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        self.sentences.append(text)
        total = self.ms_per_char * len(text)
        done = 0
        try:
            while done < total:
                await asyncio.sleep(self.chunk_ms / 1000)
                size = min(self.chunk_ms, total - done)
                done += size
                self.chunks += 1
                yield tone(size, hz=220)
        finally:
            if done < total:
                self.abandoned += 1


@dataclass
class WordRetriever:
    """Scores passages by the share of the query's words they contain."""

    passages: list[Passage]
    searches: list[str] = field(default_factory=list)

    async def search(self, query: str, k: int) -> list[Passage]:
        self.searches.append(query)
        words = set(re.findall(r"[a-z]+", query.lower())) - {"the", "a", "do", "you", "is", "what", "how"}
        scored = []
        for p in self.passages:
            have = set(re.findall(r"[a-z]+", p.text.lower()))
            score = len(words & have) / max(1, len(words))
            scored.append(Passage(p.text, p.source, p.title, round(score, 3)))
        return sorted(scored, key=lambda p: -p.score)[:k]

    def vocabulary(self) -> list[str]:
        return ["Larkspur"]

    def document_words(self, source: str) -> frozenset[str]:
        return frozenset()  # it knows no page beyond the passages it holds

    async def coded(self, query: str) -> list[Passage]:
        return []  # its passages are found by their words alone


KNOWLEDGE = [
    Passage(
        "We are open Monday to Friday from eight in the morning to six in the evening. "
        "On Saturday we open from nine to one.",
        "hours.md",
        "Opening hours",
    ),
    Passage(
        "Standard delivery costs four pounds ninety-five and takes three to five working days.",
        "faq.csv",
        "Delivery",
    ),
]


async def next_event(
    queue: asyncio.Queue[EngineEvent],
    kind: type[E],
    timeout: float = 10.0,
    where: Callable[[E], bool] = bool,
) -> E:
    """The next event of `kind` (matching `where`), skipping others; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"no {kind.__name__} within {timeout} s")
        event = await asyncio.wait_for(queue.get(), remaining)
        if isinstance(event, kind) and where(event):
            return event
