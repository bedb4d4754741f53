"""Listening to one audio stream: frames -> VAD -> turns -> transcripts.

A `Listener` per stream (the caller's; in copilot also the agent's headset) runs its own VAD (one
per stream: Silero keeps state between frames) and `TurnDetector`, and reports to a
`TurnHandler` (the session's current policy).

- With the turn model (`turns.endpointing = smart-turn`), each pause is judged by the model in a
  worker thread and the verdict handed back to the detector; its compute time reaches the metrics.
- Speculative transcription: at each pause the utterance so far is transcribed (and the policy
  may prepare more on it: retrieval, the reply's first phrase). If the turn then ends with no new
  speech, that work is reused; if the caller went on, it is dropped.
- With the transcript check (`turns.endpointing = transcript`) every pause is transcribed (even
  when the policy wants no early work) and the text read at once (`transcript_turn`): the verdict
  goes to the detector before the policy prepares anything, and its decision time (transcript
  plus reading, from the pause) reaches the metrics as the turn model's.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from earpiece.core.audio.frames import FRAME_MS, AudioFrame
from earpiece.core.audio.transcript_turn import transcript_verdict
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, SpeechStarted, TurnDetector, Utterance
from earpiece.core.audio.vad import VoiceActivity, frame_voice_activity
from earpiece.core.engine.answering import Retrieval
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.events import EngineEvent, Speaker, StageError, TranscriptEvent
from earpiece.core.engine.metrics import TurnMetrics, ms_between
from earpiece.core.engine.reply import ReplyHead

log = logging.getLogger(__name__)


@dataclass(slots=True)
class Heard:
    """A transcript of an utterance, and what was prepared on it."""

    text: str
    ready: float  # monotonic time the transcript was available
    compute_ms: float
    retrieval: Retrieval | None = None
    head: ReplyHead | None = None


@dataclass(slots=True)
class Turn:
    """One speaker's turn, from the end of their speech until a policy has dealt with it."""

    id: int
    speaker: Speaker
    event: SpeechEnded
    metrics: TurnMetrics
    listener: Listener
    announced: bool = False  # its transcript line was published
    remembered: bool = False  # its words are in the history
    owner: object = None  # the policy dealing with it; None once its question moved on to a later turn
    task: asyncio.Task[Any] | None = field(default=None, repr=False)  # the policy's work on it
    _hearing: asyncio.Task[Heard | None] | None = field(default=None, repr=False)

    async def hear(self) -> Heard | None:
        """The final transcript, made once: a policy that gives the turn up mid-way does not
        cancel it, and the next policy reuses it. None when the recogniser failed."""
        if self._hearing is None:
            self._hearing = self.listener.spawn(self.listener.final(self.event, self.metrics))
        return await asyncio.shield(self._hearing)

    @property
    def text(self) -> str:
        """The final transcript's text ("" until it is made)."""
        done = self._hearing is not None and self._hearing.done() and not self._hearing.cancelled()
        heard = self._hearing.result() if done and self._hearing is not None else None
        return heard.text if heard is not None else ""


class TurnHandler(Protocol):
    def listens_to(self, speaker: Speaker) -> bool: ...

    def on_frame(self, listener: Listener, frame: AudioFrame, voiced: bool) -> None: ...

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None: ...

    def wants_early(self, listener: Listener) -> bool:
        """Transcribe this stream's pause speculatively?"""
        ...

    async def prepare(self, listener: Listener, heard: Heard) -> None:
        """More speculative work on a pause's transcript (retrieval, the reply's first phrase)."""
        ...

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None: ...


@dataclass(slots=True)
class _Early:
    end_of_speech_at: float
    task: asyncio.Task[Heard]


class Listener:
    """One audio stream. Not thread-safe: everything runs on the session's loop."""

    def __init__(
        self,
        speaker: Speaker,
        stack: VoiceStack,
        config: EngineConfig,
        handler: Callable[[], TurnHandler],
        publish: Callable[[EngineEvent], None],
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
    ) -> None:
        self.speaker = speaker
        self._stack = stack
        self._config = config
        self._handler = handler  # the current policy (it changes when the mode is switched)
        self._publish = publish
        self.spawn = spawn
        aggressiveness = stack.vad.aggressiveness
        turns = stack.turns
        self._vad = frame_voice_activity(turns, aggressiveness) if turns else VoiceActivity(aggressiveness)
        self.detector = TurnDetector(stack.vad, pause_ms=config.early_pause_ms, vad=self._vad, turns=turns)
        self._early: _Early | None = None

    @property
    def in_speech(self) -> bool:
        return self.detector.in_speech

    async def run(self, frames: AsyncIterator[AudioFrame]) -> None:
        async for frame in frames:
            if not self._handler().listens_to(self.speaker):
                self.detector.reset()  # after a switch back, turns start from fresh speech
                continue
            voiced = self._vad.is_speech(frame)
            self._handler().on_frame(self, frame, voiced)
            event = self.detector.push(frame, voiced)
            if isinstance(event, SpeechStarted):
                self._handler().on_speech_started(self, event)
            elif isinstance(event, SpeechPaused):
                self._paused(event.utterance)
            elif isinstance(event, SpeechEnded):
                self._handler().on_speech_ended(self, event)

    def _paused(self, utterance: Utterance) -> None:
        model = self._stack.turn_model
        if self.detector.wants_verdict and model is not None:
            self.spawn(self._judge(utterance))
        prepare = self._config.early_stt and self._handler().wants_early(self)
        if prepare or self.detector.wants_transcript:
            self.drop_early()
            hearing = self._hear(utterance, early=True, prepare=prepare)
            self._early = _Early(utterance.end_of_speech_at, self.spawn(hearing))

    async def _judge(self, utterance: Utterance) -> None:
        """Ask the turn model (in a worker thread: ~50 ms of CPU) whether the utterance is complete."""
        model = self._stack.turn_model
        assert model is not None
        try:
            verdict = await asyncio.to_thread(model.judge, utterance.pcm)
        except Exception as exc:  # the turn then ends after the maximum silence
            self._publish(StageError("turn model", f"{type(exc).__name__}: {exc}", 0, time.monotonic()))
            return
        self.detector.verdict(utterance.end_of_speech_at, verdict)

    async def _hear(self, utterance: Utterance, *, early: bool, prepare: bool = True) -> Heard:
        start = time.monotonic()
        transcript = await self._stack.stt.transcribe(utterance.pcm)
        ready = time.monotonic()
        heard = Heard(transcript.text.strip(), ready, round((ready - start) * 1000, 1))
        if early and self.detector.wants_transcript:
            verdict = transcript_verdict(heard.text, heard.compute_ms)
            self.detector.verdict(utterance.end_of_speech_at, verdict)
        if early and prepare and heard.text:  # a partial transcript: the turn is not over yet (turn_id 0)
            self._publish(TranscriptEvent(self.speaker, heard.text, False, ready, 0))
            await self._handler().prepare(self, heard)
        return heard

    def drop_early(self) -> None:
        """Drop speculative work that further speech made stale."""
        early, self._early = self._early, None
        if early is None:
            return
        early.task.cancel()
        if early.task.done() and not early.task.cancelled() and early.task.exception() is None:
            head = early.task.result().head
            if head is not None:
                self.spawn(head.aclose())

    async def final(self, event: SpeechEnded, metrics: TurnMetrics) -> Heard | None:
        """The turn's transcript: the pause's, when no speech followed it; else made now.
        None when the recogniser failed (the turn is lost, the call goes on)."""
        utterance = event.utterance
        early = self._early
        try:
            if early is not None and early.end_of_speech_at == utterance.end_of_speech_at:
                self._early = None
                metrics.stt_early = True
                heard = await early.task
            else:
                if early is not None and early.end_of_speech_at < utterance.end_of_speech_at:
                    self.drop_early()  # the caller went on speaking after that pause
                heard = await self._hear(utterance, early=False)
        except Exception as exc:
            failure = f"{type(exc).__name__}: {exc}"
            self._publish(StageError("stt", failure, metrics.turn_id, time.monotonic()))
            return None
        metrics.stt_ms = ms_between(utterance.end_of_speech_at, heard.ready)
        metrics.stt_compute_ms = heard.compute_ms
        metrics.providers["stt"] = self._stack.stt.name
        return heard


def turn_metrics(turn_id: int, mode: str, speaker: Speaker, event: SpeechEnded, t0: float) -> TurnMetrics:
    """A turn's metrics as far as listening knows them; `t0` is the session's start (monotonic)."""
    utterance = event.utterance
    return TurnMetrics(
        turn_id=turn_id,
        mode=mode,
        speaker=str(speaker),
        end_of_speech_at=utterance.end_of_speech_at,
        speech_start_s=round(utterance.started_at - t0, 3),
        speech_ms=round((utterance.end_of_speech_at - utterance.started_at) * 1000 + FRAME_MS, 1),
        voiced_ms=utterance.voiced_ms,
        endpoint_delay_ms=ms_between(utterance.end_of_speech_at, event.detected_at),
        turn_model_ms=event.turn_model_ms,
    )
