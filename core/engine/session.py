"""One call on the asyncio loop: frames in, reply audio and typed events out.

*Autonomous*: greet, then per caller turn transcribe -> answer -> speak, with barge-in, handover
("I want a person" or DTMF 0 -> `TransferRequested`), goodbye and silence timeouts
(-> `HangUpRequested`). *Copilot*: caller and agent streams are transcribed separately and
labelled; answerable caller questions become `SuggestionEvent`s, optionally whispered to the
agent's own sink, never into the call.

Latency: when the caller pauses (`SpeechPaused`, before the end-of-turn silence is complete) the
utterance is transcribed, and the knowledge searched, at once; if the turn then ends with no new
speech that work is reused, otherwise it is dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncGenerator, AsyncIterator, Coroutine
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from earpiece.core.audio.barge_in import BargeIn, BargeInDetector, BargeInKind
from earpiece.core.audio.frames import AudioFrame, AudioSink
from earpiece.core.audio.playback import PausableSink
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, SpeechStarted, TurnDetector, Utterance
from earpiece.core.audio.vad import VoiceActivity
from earpiece.core.engine.answering import Answer, Answerer, Retrieval
from earpiece.core.engine.bus import EventBus
from earpiece.core.engine.events import (
    BargeInAction,
    BargeInEvent,
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    EngineEvent,
    HangUpReason,
    HangUpRequested,
    SourceRef,
    Speaker,
    StageError,
    SuggestionEvent,
    TranscriptEvent,
    TransferReason,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.engine.metrics import TurnMetrics, ms_between
from earpiece.core.engine.phrasing import first_phrase_split
from earpiece.core.engine.record import CallRecorder
from earpiece.core.interfaces import ChatTurn, SpeechToText, TextToSpeech
from earpiece.core.llm.guard import HANDOVER_REPLY, Intent, precheck
from earpiece.core.settings import CallMode, Settings, VadSettings
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.sentences import split_sentences

log = logging.getLogger(__name__)

DRAIN_POLL_S = 0.02


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Conversation behaviour (texts and timeouts) that is not a stage's business."""

    greeting: str = "Hello, thank you for calling. How can I help you?"
    reprompt: str = "Are you still there? How can I help you?"
    silence_goodbye: str = "I haven't heard anything, so I'll end the call now. Goodbye!"
    silence_timeout_s: float = 10.0  # caller silent this long after a reply: reprompt, then hang up
    transfer_digit: str = "0"
    whisper_to_agent: bool = False
    early_stt: bool = True
    early_answer: bool = True  # autonomous: also prepare the reply's first phrase during the pause
    early_pause_ms: int = 200  # silence after which early work starts (below vad.end_of_turn_ms)
    suggestion_min_words: int = 3  # shorter caller utterances ("yes", "okay") get no card
    history_turns: int = 6

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineConfig:
        return cls(**({"whisper_to_agent": settings.ui.whisper_to_agent} | overrides))


@dataclass(slots=True)
class VoiceStack:
    """The stages of a call. STT/TTS models are loaded once per process and shared by stacks."""

    stt: SpeechToText
    tts: TextToSpeech
    answerer: Answerer
    vad: VadSettings


@dataclass(slots=True)
class _Head:
    """The start of a reply, prepared while the caller's turn was not yet declared over."""

    answer: Answer
    rest: AsyncGenerator[str, None]  # the reply's remaining sentences
    sentence: str  # the first sentence
    pieces: list[str]  # its phrases; the first is already voiced in `audio`
    audio: list[bytes]
    ttfb_ms: float | None


@dataclass(slots=True)
class _Heard:
    """A transcript of an utterance, and what was prepared on it."""

    text: str
    ready: float  # monotonic time the transcript was available
    compute_ms: float
    retrieval: Retrieval | None = None
    head: _Head | None = None


@dataclass(slots=True)
class _Early:
    """Transcription (retrieval, and the reply's first phrase) started when the caller paused."""

    end_of_speech_at: float
    task: asyncio.Task[_Heard]


class CallSession:
    def __init__(
        self,
        stack: VoiceStack,
        *,
        mode: CallMode = CallMode.AUTONOMOUS,
        sink: AudioSink | None = None,
        agent_sink: AudioSink | None = None,
        config: EngineConfig | None = None,
        call_id: str | None = None,
        save_record: bool = True,
    ) -> None:
        if mode is CallMode.OFF:
            raise ValueError("a call session needs mode autonomous or copilot")
        if mode is CallMode.AUTONOMOUS and sink is None:
            raise ValueError("autonomous mode needs the call's audio sink")
        self.stack = stack
        self.mode = mode
        self.config = config or EngineConfig()
        self.call_id = call_id or f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.events = EventBus()
        self.recorder = CallRecorder(self.call_id, str(mode))
        self.events.subscribe(self.recorder.observe)
        self._save_record = save_record
        self._sink = PausableSink(sink) if sink is not None else None
        self._agent_sink = agent_sink
        self._vad = VoiceActivity(stack.vad.aggressiveness)
        self._history: list[ChatTurn] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished = asyncio.Event()
        self._end_reason = "remote"
        self._turn_counter = 0
        # autonomous state
        self._barge = BargeInDetector(stack.vad, vad=self._vad)
        self._reply: asyncio.Task[None] | None = None  # the turn being answered / spoken
        self._reply_turn = 0
        self._playing = False  # reply audio written and not yet played out
        self._overlapping_turn = False  # caller speech that began while Earpiece was talking
        self._interrupted_turn = False
        self._carried_question = ""  # a turn abandoned before its reply was heard
        self._pending_question = ""  # the question of the reply in progress
        self._superseded: set[int] = set()  # turns whose caller went on talking during their STT
        self._last_activity = time.monotonic()
        self._reprompted = False
        self._early: dict[Speaker, _Early] = {}
        self._running = False

    # ---- public control (call these on the session's loop) ----

    def press_dtmf(self, digit: str) -> None:
        """A DTMF digit from the caller; `transfer_digit` asks for a person (autonomous mode)."""
        if self.mode is CallMode.AUTONOMOUS and digit == self.config.transfer_digit:
            self._spawn(self._hand_over(TransferReason.DTMF, digit))

    async def say(self, text: str) -> str:
        """Speak `text` into the call as Earpiece, the way a reply is spoken: after the reply in
        progress, interruptible by the caller (barge-in), into the history and the call record.

        Returns the sentences that were played ("" if the caller cut in before the first). Call it
        while `run()` is in progress (autonomous mode); nothing else may write to the call's sink."""
        if self._sink is None:
            raise RuntimeError("this session has no call sink (copilot): it cannot speak into the call")
        if not self._running:
            raise RuntimeError("say() needs the session running (call it while run() is in progress)")
        while self._reply is not None and not self._reply.done():
            await asyncio.wait([self._reply])
        turn_id = self._next_turn()
        reply = self._start_reply(turn_id, self._say(turn_id, text))
        await asyncio.wait([reply])
        return reply.result() if not reply.cancelled() and reply.exception() is None else ""

    def stop(self, reason: str = "stopped") -> None:
        """End the session (the call ended elsewhere); `run()` returns soon after."""
        self._finish(reason)

    async def run(
        self, caller: AsyncIterator[AudioFrame], agent: AsyncIterator[AudioFrame] | None = None
    ) -> Path | None:
        """Process the call until its audio ends, a hang-up is requested, or `stop()`.

        Returns the saved call record (None when saving is off or failed)."""
        self._running = True
        consumers = [asyncio.create_task(self._consume(caller, Speaker.CALLER))]
        if agent is not None and self.mode is CallMode.COPILOT:
            consumers.append(asyncio.create_task(self._consume(agent, Speaker.AGENT)))
        if self.mode is CallMode.AUTONOMOUS:
            self._start_reply(0, self._say(0, self.config.greeting))
        finished = asyncio.create_task(self._finished.wait())
        try:
            await asyncio.wait([consumers[0], finished], return_when=asyncio.FIRST_COMPLETED)
            if consumers[0].done() and consumers[0].exception() is not None:
                self._end_reason = "error"
                log.error("call %s: the audio stream failed", self.call_id, exc_info=consumers[0].exception())
        finally:
            self._running = False
            for task in [*consumers, finished, *self._tasks]:
                task.cancel()
            await asyncio.gather(*consumers, finished, *self._tasks, return_exceptions=True)
        return self._close()

    # ---- plumbing ----

    def _publish(self, event: EngineEvent) -> None:
        self.events.publish(event)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: a session task failed", self.call_id, exc_info=task.exception())
            self._publish(StageError("engine", repr(task.exception()), 0, time.monotonic()))

    def _finish(self, reason: str) -> None:
        if not self._finished.is_set():
            self._end_reason = reason
            self._finished.set()

    def _close(self) -> Path | None:
        path: Path | None = None
        if self._save_record:
            try:
                path = self.recorder.save(self._end_reason)
            except OSError:
                log.exception("call %s: could not save the call record", self.call_id)
        self._publish(CallEnded(self._end_reason, str(path or ""), time.monotonic()))
        return path

    def _next_turn(self) -> int:
        self._turn_counter += 1
        return self._turn_counter

    async def _consume(self, frames: AsyncIterator[AudioFrame], speaker: Speaker) -> None:
        detector = TurnDetector(self.stack.vad, pause_ms=self.config.early_pause_ms, vad=self._vad)
        async for frame in frames:
            voiced = self._vad.is_speech(frame)
            if speaker is Speaker.CALLER and self.mode is CallMode.AUTONOMOUS:
                self._caller_frame(frame, voiced)
            event = detector.push(frame, voiced)
            if isinstance(event, SpeechStarted):
                self._speech_started(speaker)
            elif isinstance(event, SpeechPaused) and self.config.early_stt and not self._backchannel(speaker):
                self._start_early(speaker, event.utterance)
            elif isinstance(event, SpeechEnded):
                self._speech_ended(speaker, event)
            if self.mode is CallMode.AUTONOMOUS and speaker is Speaker.CALLER:
                self._check_silence(frame.captured_at, detector.in_speech)

    # ---- early transcription ----

    def _start_early(self, speaker: Speaker, utterance: Utterance) -> None:
        previous = self._early.pop(speaker, None)
        if previous is not None:
            self._discard(previous)
        task = self._spawn(self._hear(speaker, utterance, early=True))
        self._early[speaker] = _Early(utterance.end_of_speech_at, task)

    def _discard(self, early: _Early) -> None:
        """Drop early work that the caller's further speech made stale."""
        early.task.cancel()
        if early.task.done() and not early.task.cancelled() and early.task.exception() is None:
            head = early.task.result().head
            if head is not None:
                self._spawn(head.rest.aclose())

    async def _hear(self, speaker: Speaker, utterance: Utterance, *, early: bool) -> _Heard:
        """Transcribe; for a question also search, and (early, autonomous) prepare the reply's head."""
        start = time.monotonic()
        transcript = await self.stack.stt.transcribe(utterance.pcm)
        ready = time.monotonic()
        heard = _Heard(transcript.text.strip(), ready, round((ready - start) * 1000, 1))
        if early and heard.text:  # a partial transcript: the turn is not over yet (turn_id 0)
            self._publish(TranscriptEvent(speaker, heard.text, False, ready, 0))
        if heard.text and precheck(heard.text).intent is Intent.QUESTION:
            heard.retrieval = await self.stack.answerer.retrieve(heard.text, self._history)
            speculate = early and self.config.early_answer and self.mode is CallMode.AUTONOMOUS
            if speculate and speaker is Speaker.CALLER:
                heard.head = await self._prepare_head(heard.text, heard.retrieval)
        return heard

    async def _prepare_head(self, text: str, retrieval: Retrieval) -> _Head | None:
        """The reply's first sentence, and the audio of its first phrase, ready to play the moment
        the turn is declared over. Nothing is played here."""
        answer = Answer(text)
        rest = self.stack.answerer.stream(answer, self._recent(), retrieval=retrieval)
        try:
            sentence = await anext(rest, None)
            if sentence is None:
                await rest.aclose()
                return None
            pieces = first_phrase_split(sentence)
            handed = time.monotonic()
            audio: list[bytes] = []
            first_at: float | None = None
            async for pcm in self.stack.tts.synthesize(normalize_for_speech(pieces[0])):
                first_at = first_at or time.monotonic()
                audio.append(pcm)
        except Exception:  # the normal path will try again, and report what fails
            await rest.aclose()
            return None
        except BaseException:
            await rest.aclose()
            raise
        return _Head(answer, rest, sentence, pieces, audio, ms_between(handed, first_at))

    async def _final_transcript(
        self, speaker: Speaker, utterance: Utterance, metrics: TurnMetrics
    ) -> _Heard | None:
        early = self._early.pop(speaker, None)
        try:
            if early is not None and early.end_of_speech_at == utterance.end_of_speech_at:
                metrics.stt_early = True
                heard = await early.task
            else:
                if early is not None:
                    self._discard(early)  # the caller went on speaking: that transcript is stale
                heard = await self._hear(speaker, utterance, early=False)
        except Exception as exc:  # the recogniser failed: this turn is lost, the call goes on
            self._publish(
                StageError("stt", f"{type(exc).__name__}: {exc}", metrics.turn_id, time.monotonic())
            )
            return None
        metrics.stt_ms = ms_between(utterance.end_of_speech_at, heard.ready)
        metrics.stt_compute_ms = heard.compute_ms
        metrics.providers["stt"] = self.stack.stt.name
        return heard

    # ---- turns ----

    def _speech_started(self, speaker: Speaker) -> None:
        if self.mode is not CallMode.AUTONOMOUS or speaker is not Speaker.CALLER:
            return
        self._last_activity = time.monotonic()
        self._reprompted = False
        if self._playing:
            self._overlapping_turn = True  # a backchannel unless it turns into a barge-in
            self._interrupted_turn = False
        elif self._reply is not None and not self._reply.done() and self._reply_turn > 0:
            # The caller goes on before hearing an answer: answer everything together later.
            if self._pending_question:
                self._carried_question = self._pending_question
                self._reply.cancel()
            else:  # still transcribing: that turn hands its words on when it has them
                self._superseded.add(self._reply_turn)

    def _backchannel(self, speaker: Speaker) -> bool:
        """Caller speech that began while Earpiece talked and has not (yet) interrupted it."""
        return speaker is Speaker.CALLER and self._overlapping_turn and not self._interrupted_turn

    def _speech_ended(self, speaker: Speaker, event: SpeechEnded) -> None:
        if self.mode is CallMode.COPILOT:
            self._spawn(self._copilot_turn(speaker, event))
            return
        if speaker is not Speaker.CALLER:
            return
        # Speech begun in the last frames of a reply (before the barge-in detector saw its onset)
        # stops being fed to the detector when playback ends: judge it by its length instead.
        short = event.utterance.voiced_ms < self.stack.vad.barge_in_min_ms
        backchannel = self._backchannel(speaker) and short
        self._overlapping_turn = False
        if backchannel:
            early = self._early.pop(speaker, None)
            if early is not None:
                self._discard(early)
            return  # a backchannel or cough while Earpiece talked: not a turn
        turn_id = self._next_turn()
        self._start_reply(turn_id, self._autonomous_turn(turn_id, event))

    def _start_reply(self, turn_id: int, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        self._reply_turn = turn_id
        self._pending_question = ""
        self._reply = self._spawn(coro)
        return self._reply

    def _new_metrics(self, turn_id: int, speaker: Speaker, event: SpeechEnded) -> TurnMetrics:
        utterance = event.utterance
        return TurnMetrics(
            turn_id=turn_id,
            mode=str(self.mode),
            speaker=str(speaker),
            end_of_speech_at=utterance.end_of_speech_at,
            endpoint_delay_ms=ms_between(utterance.end_of_speech_at, event.detected_at),
        )

    async def _autonomous_turn(self, turn_id: int, event: SpeechEnded) -> None:
        metrics = self._new_metrics(turn_id, Speaker.CALLER, event)
        heard = await self._final_transcript(Speaker.CALLER, event.utterance, metrics) or _Heard("", 0, 0)
        text, retrieval, head = heard.text, heard.retrieval, heard.head
        if turn_id in self._superseded or self._carried_question:
            if head is not None:
                await head.rest.aclose()
            head, retrieval = None, None
        if turn_id in self._superseded:
            self._superseded.discard(turn_id)
            self._carried_question = f"{self._carried_question} {text}".strip()
            return
        if self._carried_question:
            text = f"{self._carried_question} {text}".strip()
            self._carried_question = ""
        if not text:
            return  # noise or a hallucination the recogniser dropped: not a turn
        self._pending_question = text
        metrics.question = text
        self._publish(TranscriptEvent(Speaker.CALLER, text, True, time.monotonic(), turn_id))
        if head is not None:
            answer, reply = head.answer, head.rest
        else:
            answer = Answer(text)
            reply = self.stack.answerer.stream(answer, self._recent(), retrieval=retrieval)
        try:
            await self._speak(turn_id, reply, metrics, head)
        finally:
            self._fill_answer_metrics(metrics, answer)
            self._history += [ChatTurn("caller", text), ChatTurn("assistant", answer.text)]
            self._publish(TurnMetricsEvent(metrics))
            if answer.intent is Intent.HANDOVER:  # even if the caller talked over the reply
                self._request_transfer(TransferReason.CALLER_ASKED, text)
        if answer.error:
            self._publish(StageError("llm", answer.error, turn_id, time.monotonic()))
        if answer.intent is Intent.GOODBYE:
            self._publish(HangUpRequested(HangUpReason.GOODBYE, time.monotonic()))
            self._finish("hangup_requested")

    def _fill_answer_metrics(self, metrics: TurnMetrics, answer: Answer) -> None:
        metrics.answer = answer.text
        metrics.intent = str(answer.intent)
        metrics.llm_ttft_ms = answer.llm_ttft_ms
        metrics.guard = answer.guard_reason
        metrics.declined = answer.declined
        if answer.retrieval is not None:
            metrics.confidence = answer.confidence
        if answer.provider:
            metrics.providers["llm"] = answer.provider
        if answer.report is not None:
            metrics.llm_attempts = answer.report.attempt_dicts()
        if answer.retrieval is not None:
            metrics.retrieval_ms = answer.retrieval.ms
            metrics.providers["retrieval"] = self._retriever_name()
            metrics.sources = [p.source for p in answer.retrieval.passages]
            metrics.top_score = answer.retrieval.passages[0].score if answer.retrieval.passages else None

    def _retriever_name(self) -> str:
        retriever = self.stack.answerer.retriever
        return str(getattr(retriever, "kb_name", type(retriever).__name__)) if retriever else "none"

    def _recent(self) -> list[ChatTurn]:
        return self._history[-self.config.history_turns :]

    def _summary(self) -> str:
        asked = [t.text for t in self._history if t.role == "caller"][-3:]
        return "Caller asked: " + " / ".join(asked) if asked else "No questions before the transfer."

    def _request_transfer(self, reason: TransferReason, said: str) -> None:
        self._publish(TransferRequested(reason, said, self._summary(), time.monotonic()))

    async def _hand_over(self, reason: TransferReason, said: str) -> None:
        if self._reply is not None and not self._reply.done():
            self._reply.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reply
        self._stop_playback(self._reply_turn, interrupted=True)
        turn_id = self._next_turn()
        self._start_reply(turn_id, self._say(turn_id, HANDOVER_REPLY))
        assert self._reply is not None
        await asyncio.wait([self._reply])  # the caller may talk over it: transfer anyway
        self._request_transfer(reason, said)

    async def _say(self, turn_id: int, text: str) -> str:
        """A fixed text, spoken like a reply; what was played joins the history."""

        async def fixed() -> AsyncGenerator[str, None]:
            for sentence in split_sentences(text):
                yield sentence

        spoken = await self._speak(turn_id, fixed(), None)
        if spoken:
            self._history.append(ChatTurn("assistant", spoken))
        return spoken

    # ---- speaking ----

    async def _speak(
        self,
        turn_id: int,
        sentences: AsyncGenerator[str, None],
        metrics: TurnMetrics | None,
        head: _Head | None = None,
    ) -> str:
        """Sentence by sentence into the call: the first plays while the rest is produced.
        Returns the sentences played."""
        assert self._sink is not None
        spoken: list[str] = []
        try:
            async with contextlib.aclosing(sentences):
                voiced = True
                if head is not None:
                    self._start_playback(turn_id, head.pieces[0], head.ttfb_ms, metrics)
                    for pcm in head.audio:
                        self._sink.write(pcm)
                    voiced = await self._voice(turn_id, head.pieces[1:], metrics)
                    spoken.append(head.sentence)
                while voiced and (sentence := await anext(sentences, None)) is not None:
                    # The first sentence is cut after its first phrase: speech starts sooner.
                    pieces = first_phrase_split(sentence) if not spoken else [sentence]
                    voiced = await self._voice(turn_id, pieces, metrics)
                    if voiced:
                        spoken.append(sentence)
            await self._drain()
            self._stop_playback(turn_id, interrupted=False)
            return " ".join(spoken)
        finally:
            if spoken:
                self._publish(
                    TranscriptEvent(Speaker.ASSISTANT, " ".join(spoken), True, time.monotonic(), turn_id)
                )
            if metrics is not None:
                tts_name = getattr(self.stack.tts, "last_served_by", None) or self.stack.tts.name
                metrics.providers["tts"] = tts_name
                metrics.tts_failures = [
                    f"{f.provider}: {f.reason}" for f in getattr(self.stack.tts, "last_failures", ())
                ]

    async def _voice(self, turn_id: int, pieces: list[str], metrics: TurnMetrics | None) -> bool:
        """Synthesize the pieces into the call; False if every TTS provider failed."""
        assert self._sink is not None
        for piece in pieces:
            spoken_form = normalize_for_speech(piece)
            if not spoken_form.strip(" .,!?;:"):
                continue
            handed = time.monotonic()
            audio = self.stack.tts.synthesize(spoken_form)
            try:
                async for pcm in audio:
                    if not self._playing:
                        self._start_playback(turn_id, piece, ms_between(handed, time.monotonic()), metrics)
                    self._sink.write(pcm)
            except Exception as exc:
                self._publish(StageError("tts", f"{type(exc).__name__}: {exc}", turn_id, time.monotonic()))
                return False
            finally:
                await _aclose(audio)
        return True

    def _start_playback(
        self, turn_id: int, sentence: str, ttfb_ms: float | None, metrics: TurnMetrics | None
    ) -> None:
        now = time.monotonic()
        if metrics is not None:
            metrics.tts_ttfb_ms = ttfb_ms
            metrics.voice_to_voice_ms = ms_between(metrics.end_of_speech_at, now)
        self._playing = True
        self._barge.reset()
        self._publish(BotSpeakingStarted(turn_id, now, sentence))

    def _stop_playback(self, turn_id: int, *, interrupted: bool) -> None:
        if not self._playing:
            return
        self._playing = False
        if interrupted and self._sink is not None:
            self._sink.flush()
        self._last_activity = time.monotonic()
        self._publish(BotSpeakingStopped(turn_id, time.monotonic(), interrupted))

    async def _drain(self) -> None:
        assert self._sink is not None
        while self._sink.pending_ms() > 0:
            await asyncio.sleep(DRAIN_POLL_S)

    # ---- barge-in and silence (autonomous) ----

    def _caller_frame(self, frame: AudioFrame, voiced: bool) -> None:
        if not self._playing or self._sink is None:
            return
        decision = self._barge.push(frame, voiced)
        if decision is not None:
            self._on_barge_in(decision)

    def _on_barge_in(self, decision: BargeIn) -> None:
        assert self._sink is not None
        turn_id = self._reply_turn
        if decision.kind is BargeInKind.PAUSE:
            self._sink.pause()
            action = BargeInAction.PAUSE
        elif decision.kind is BargeInKind.RESUME:
            self._sink.resume()
            action = BargeInAction.RESUME
        else:
            self._interrupted_turn = True
            if self._reply is not None:
                self._reply.cancel()
            self._sink.flush()
            self._publish(BargeInEvent(BargeInAction.INTERRUPT, decision.onset_at, time.monotonic(), turn_id))
            self._stop_playback(turn_id, interrupted=True)
            return
        self._publish(BargeInEvent(action, decision.onset_at, time.monotonic(), turn_id))

    def _check_silence(self, now: float, caller_speaking: bool) -> None:
        busy = self._playing or caller_speaking or (self._reply is not None and not self._reply.done())
        if busy:
            self._last_activity = max(self._last_activity, now)
            return
        if now - self._last_activity < self.config.silence_timeout_s:
            return
        self._last_activity = now
        turn_id = self._next_turn()
        if not self._reprompted:
            self._reprompted = True
            self._start_reply(turn_id, self._say(turn_id, self.config.reprompt))
        else:
            self._start_reply(turn_id, self._silence_hang_up(turn_id))

    async def _silence_hang_up(self, turn_id: int) -> None:
        await self._say(turn_id, self.config.silence_goodbye)
        self._publish(HangUpRequested(HangUpReason.SILENCE, time.monotonic()))
        self._finish("hangup_requested")

    # ---- copilot ----

    async def _copilot_turn(self, speaker: Speaker, event: SpeechEnded) -> None:
        turn_id = self._next_turn()
        metrics = self._new_metrics(turn_id, speaker, event)
        heard = await self._final_transcript(speaker, event.utterance, metrics)
        if heard is None or not heard.text:
            return
        text, retrieval = heard.text, heard.retrieval
        self._publish(TranscriptEvent(speaker, text, True, time.monotonic(), turn_id))
        metrics.question = text
        history = self._recent()
        self._history.append(ChatTurn(str(speaker), text))
        if speaker is Speaker.CALLER and self._answerable(text):
            await self._suggest(turn_id, text, history, retrieval, metrics)
        self._publish(TurnMetricsEvent(metrics))

    def _answerable(self, text: str) -> bool:
        return (
            len(text.split()) >= self.config.suggestion_min_words and precheck(text).intent is Intent.QUESTION
        )

    async def _suggest(
        self,
        turn_id: int,
        text: str,
        history: list[ChatTurn],
        retrieval: Retrieval | None,
        metrics: TurnMetrics,
    ) -> None:
        answerer = self.stack.answerer
        retrieval = retrieval or await answerer.retrieve(text, history)
        answer = Answer(text)
        if retrieval.passages:
            parts = [s async for s in answerer.stream(answer, history, retrieval=retrieval)]
            sources = tuple(
                SourceRef(p.source, p.title, round(p.score, 3), p.text[:300]) for p in retrieval.passages
            )
            confident = not answer.declined
            self._publish(SuggestionEvent(
                text, " ".join(parts) if confident else "", sources, answer.provider, turn_id,
                time.monotonic(), round(answer.confidence, 3), confident,
            ))
            if confident and self.config.whisper_to_agent and self._agent_sink is not None:
                await self._whisper(parts, metrics)
        else:
            answer.retrieval = retrieval
        self._fill_answer_metrics(metrics, answer)

    async def _whisper(self, parts: list[str], metrics: TurnMetrics) -> None:
        """Speak the suggestion to the agent's own sink only (never into the call)."""
        assert self._agent_sink is not None
        first = True
        for sentence in parts:
            handed = time.monotonic()
            async for pcm in self.stack.tts.synthesize(normalize_for_speech(sentence)):
                if first:
                    first = False
                    metrics.tts_ttfb_ms = ms_between(handed, time.monotonic())
                    metrics.providers["tts"] = self.stack.tts.name
                self._agent_sink.write(pcm)


async def _aclose(it: AsyncIterator[bytes]) -> None:
    aclose = getattr(it, "aclose", None)
    if aclose is not None:
        await aclose()
