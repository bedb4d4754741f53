"""Earpiece speaking into the call: a `Reply` handle per utterance (LiveKit's `SpeechHandle`).

`Voice.speak()` starts a reply: sentences are voiced one by one into the call's sink, the first
playing while the rest is produced. The handle can be interrupted (barge-in, a handover, a mode
switch), awaited for what the caller heard, and it records only that: the assistant's transcript
line holds the sentences whose audio played out, and of the sentence playing when it stopped the
words in proportion to the part of its audio that played (`heard_text`).

What played is known from the sink: everything written minus what is still queued
(`AudioSink.pending_ms`) at the moment of the interruption.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import AsyncGenerator, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from earpiece.core.audio.barge_in import BargeInDetector, BargeInKind
from earpiece.core.audio.frames import AudioFrame, AudioSink
from earpiece.core.audio.playback import BYTES_PER_MS, PausableSink
from earpiece.core.engine.answering import Answer
from earpiece.core.engine.events import (
    BargeInAction,
    BargeInEvent,
    BotSpeakingStarted,
    BotSpeakingStopped,
    EngineEvent,
    Speaker,
    StageError,
    TranscriptEvent,
)
from earpiece.core.engine.metrics import TurnMetrics, ms_between
from earpiece.core.engine.phrasing import first_phrase_split
from earpiece.core.interfaces import TextToSpeech
from earpiece.core.settings import VadSettings
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.stream import Served, SpeechStream

MAX_DRAIN_SLEEP_S = 0.1  # the sink has no "played out" event: sleep until it should be, re-check


@dataclass(slots=True)
class ReplyHead:
    """The start of a reply, prepared while the caller's turn was not yet declared over."""

    answer: Answer
    rest: AsyncGenerator[str, None]  # the reply's remaining sentences
    sentence: str  # the first sentence
    pieces: list[str]  # its phrases; the first is already voiced in `audio`
    audio: list[bytes]
    ttfb_ms: float | None
    served: Served | None = None  # who voiced `audio` (None: not known)

    async def aclose(self) -> None:
        await self.rest.aclose()


@dataclass(slots=True)
class _Voiced:
    """A sentence and where its audio lies in the reply's audio (bytes); `complete` once all of
    it was synthesised."""

    text: str
    start: int
    end: int
    complete: bool = True


# About 150 words a minute: the length of a sentence whose synthesis was cut short is estimated
# from its text at the reply's own rate, or at this one when no sentence of the reply finished.
DEFAULT_MS_PER_CHAR = 70


def heard_text(sentences: list[_Voiced], played: int) -> str:
    """The sentences whose audio played out, and the first words of the one cut at `played`, in
    proportion to the part of its audio that played."""
    finished = [s for s in sentences if s.complete]
    chars = sum(len(s.text) for s in finished)
    per_char = sum(s.end - s.start for s in finished) / chars if chars else DEFAULT_MS_PER_CHAR * BYTES_PER_MS
    heard: list[str] = []
    for s in sentences:
        if s.complete and s.end <= played:
            heard.append(s.text)
            continue
        if s.start < played:
            length = s.end - s.start if s.complete else max(s.end - s.start, len(s.text) * per_char)
            words = s.text.split()
            heard.extend(words[: math.floor(len(words) * min(1.0, (played - s.start) / max(1.0, length)))])
        break
    return " ".join(heard)


class Voice:
    """Earpiece's voice in one call: the TTS, the call's sink (pausable), one reply at a time, and
    barge-in on the caller's frames while a reply plays."""

    def __init__(
        self,
        tts: TextToSpeech,
        sink: AudioSink,
        vad: VadSettings,
        publish: Callable[[EngineEvent], None],
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
    ) -> None:
        self.tts = tts
        self.sink = PausableSink(sink)
        self.publish = publish
        self.spawn = spawn
        self.current: Reply | None = None
        self.stopped_at = time.monotonic()  # when Earpiece last stopped speaking
        self._barge = BargeInDetector(vad)

    @property
    def playing(self) -> bool:
        return self.current is not None and self.current.playing

    def speak(
        self,
        turn_id: int,
        sentences: AsyncGenerator[str, None],
        *,
        metrics: TurnMetrics | None = None,
        head: ReplyHead | None = None,
    ) -> Reply:
        """Start speaking `sentences` (closed when the reply ends); a reply still playing is cut."""
        if self.current is not None and not self.current.done():
            self.current.interrupt()
        self.current = Reply(self, turn_id, sentences, metrics, head)
        return self.current

    def caller_frame(self, frame: AudioFrame, voiced: bool) -> BargeInKind | None:
        """Barge-in: pause at the caller's speech onset, resume after a backchannel, or interrupt."""
        reply = self.current
        if reply is None or not reply.playing:
            return None
        decision = self._barge.push(frame, voiced)
        if decision is None:
            return None
        if decision.kind is BargeInKind.PAUSE:
            self.sink.pause()
        elif decision.kind is BargeInKind.RESUME:
            self.sink.resume()
        action = BargeInAction(decision.kind.value)
        self.publish(BargeInEvent(action, decision.onset_at, time.monotonic(), reply.turn_id))
        if decision.kind is BargeInKind.INTERRUPT:
            reply.interrupt()
        return decision.kind

    def started_playing(self) -> None:
        self._barge.reset()

    async def drain(self) -> None:
        while (pending := self.sink.pending_ms()) > 0:
            await asyncio.sleep(min(pending / 1000, MAX_DRAIN_SLEEP_S))


class Reply:
    """One utterance of Earpiece's in the call. Await `wait()` for what the caller heard."""

    def __init__(
        self,
        voice: Voice,
        turn_id: int,
        sentences: AsyncGenerator[str, None],
        metrics: TurnMetrics | None,
        head: ReplyHead | None,
    ) -> None:
        self.turn_id = turn_id
        self.metrics = metrics
        self.interrupted = False
        self.playing = False
        self.heard = ""
        self._voice = voice
        self._voiced: list[_Voiced] = []
        self._written = 0  # bytes of this reply written to the sink
        self._played_at_interrupt: int | None = None
        self._tts_provider: str | None = None  # who voiced the reply's first audio
        self._tts_failures: list[str] = []  # what failed or was skipped on the way, once each
        self._task = voice.spawn(self._run(sentences, head))

    def done(self) -> bool:
        return self._task.done()

    async def wait(self) -> str:
        """What the caller heard, once the reply has ended. Cancelling the waiter interrupts it."""
        try:
            await asyncio.wait([self._task])
        except asyncio.CancelledError:
            self.interrupt()
            raise
        return self.heard

    def interrupt(self) -> None:
        """Stop speaking now: what is queued is dropped and the sentences are not produced further."""
        if self._task.done() or self._played_at_interrupt is not None:
            return
        self._played_at_interrupt = self._played()
        self.interrupted = True
        self._task.cancel()
        self._stop_playback(interrupted=True)

    def _played(self) -> int:
        unplayed = int(self._voice.sink.pending_ms() * BYTES_PER_MS)
        return max(0, self._written - unplayed)

    async def _run(self, sentences: AsyncGenerator[str, None], head: ReplyHead | None) -> None:
        finished = False
        try:
            async with contextlib.aclosing(sentences):
                voiced = True
                if head is not None:
                    if head.served is not None:
                        self._note_voice(head.served, produced=bool(head.audio))
                    self._voiced.append(_Voiced(head.sentence, self._written, self._written, False))
                    self._start_playback(head.pieces[0], head.ttfb_ms)
                    for pcm in head.audio:
                        self._write(pcm)
                    voiced = await self._voice_pieces(head.pieces[1:])
                while voiced and (sentence := await anext(sentences, None)) is not None:
                    # The first sentence is cut after its first phrase: speech starts sooner.
                    pieces = first_phrase_split(sentence) if not self._voiced else [sentence]
                    self._voiced.append(_Voiced(sentence, self._written, self._written, False))
                    voiced = await self._voice_pieces(pieces)
            await self._voice.drain()
            finished = True
        finally:
            played = self._written if finished else self._played_at_interrupt
            if played is None:  # cancelled from outside (session end): stop like an interruption
                played = self._played()
                self.interrupted = True
            self._stop_playback(interrupted=not finished)
            self.heard = heard_text(self._voiced, played)
            self._report()

    async def _voice_pieces(self, pieces: list[str]) -> bool:
        """Synthesize the pieces into the call; False if every TTS provider failed."""
        tts = self._voice.tts
        for piece in pieces:
            spoken_form = normalize_for_speech(piece)
            if not spoken_form.strip(" .,!?;:"):
                continue
            handed = time.monotonic()
            audio = SpeechStream.of(tts, spoken_form)
            produced = False
            try:
                async for pcm in audio:
                    produced = True
                    if not self.playing:
                        self._start_playback(piece, ms_between(handed, time.monotonic()))
                    self._write(pcm)
            except Exception as exc:
                self._voice.publish(
                    StageError("tts", f"{type(exc).__name__}: {exc}", self.turn_id, time.monotonic())
                )
                return False
            finally:
                self._note_voice(audio.served, produced=produced)
                await audio.aclose()
        self._voiced[-1].complete = True
        return True

    def _note_voice(self, served: Served, *, produced: bool) -> None:
        if produced and self._tts_provider is None:
            self._tts_provider = served.provider
        for failure in served.failures:
            said = f"{failure.provider}: {failure.reason}"
            if said not in self._tts_failures:
                self._tts_failures.append(said)

    def _write(self, pcm: bytes) -> None:
        self._voice.sink.write(pcm)
        self._written += len(pcm)
        self._voiced[-1].end = self._written

    def _start_playback(self, text: str, ttfb_ms: float | None) -> None:
        now = time.monotonic()
        if self.metrics is not None and not self.playing:
            self.metrics.tts_ttfb_ms = ttfb_ms
            self.metrics.voice_to_voice_ms = ms_between(self.metrics.end_of_speech_at, now)
        self.playing = True
        self._voice.started_playing()
        self._voice.publish(BotSpeakingStarted(self.turn_id, now, text))

    def _stop_playback(self, *, interrupted: bool) -> None:
        if not self.playing:
            return
        self.playing = False
        if interrupted:
            self._voice.sink.flush()
        self._voice.stopped_at = time.monotonic()
        self._voice.publish(BotSpeakingStopped(self.turn_id, time.monotonic(), interrupted))

    def _report(self) -> None:
        if self.heard:
            self._voice.publish(
                TranscriptEvent(Speaker.ASSISTANT, self.heard, True, time.monotonic(), self.turn_id)
            )
        if self.metrics is not None:
            self.metrics.interrupted = self.interrupted
            self.metrics.providers["tts"] = self._tts_provider or self._voice.tts.name
            self.metrics.tts_failures = self._tts_failures
