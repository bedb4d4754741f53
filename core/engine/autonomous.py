"""The autonomous policy: Earpiece answers the caller aloud.

Greet; per caller turn transcribe -> answer -> speak (a `Reply`, interruptible by barge-in);
handover ("I want a person" or DTMF `transfer_digit` -> `TransferRequested`), goodbye and silence
timeouts (-> `HangUpRequested`). When speech was heard but no words were recognised, Earpiece
says at once that it did not catch that ("never dead air").

A caller who goes on talking before hearing the answer is answered once, for everything said:
the unanswered turn is carried into the next (`_carried`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Coroutine
from typing import Any

from earpiece.core.audio.barge_in import BargeInKind
from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.turns import SpeechEnded, SpeechStarted
from earpiece.core.engine.answering import Answer, Retrieval
from earpiece.core.engine.events import (
    HangUpReason,
    HangUpRequested,
    Speaker,
    StageError,
    TransferReason,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.engine.listening import Heard, Listener, Turn
from earpiece.core.engine.metrics import ms_between
from earpiece.core.engine.phrasing import first_phrase_split
from earpiece.core.engine.policy import CallContext, Policy, caller_turns
from earpiece.core.engine.reply import ReplyHead, Voice
from earpiece.core.interfaces import ChatTurn
from earpiece.core.llm.guard import HANDOVER_REPLY, Intent
from earpiece.core.settings import CallMode
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.sentences import split_sentences
from earpiece.core.tts.stream import SpeechStream


class AutonomousPolicy(Policy):
    mode = CallMode.AUTONOMOUS

    def __init__(self, ctx: CallContext, voice: Voice) -> None:
        super().__init__(ctx)
        self.voice = voice
        self._job: asyncio.Task[Any] | None = None  # what Earpiece is doing: a turn, or a fixed text
        self._job_turn: Turn | None = None  # the caller turn of that job
        self._open: dict[int, Turn] = {}  # caller turns not yet dealt with
        self._carried: list[Turn] = []  # turns abandoned before their answer was heard
        self._superseded: set[int] = set()  # turns whose caller went on talking during their STT
        self._overlapping = False  # caller speech that began while Earpiece was talking
        self._interrupted = False
        self._last_activity = time.monotonic()
        self._reprompted = False
        self._left = False  # the call went on in another mode

    # ---- from the session ----

    def start(self) -> None:
        self._start_job(self._speak_text(0, self.ctx.config.greeting))

    def press_dtmf(self, digit: str) -> None:
        if digit == self.ctx.config.transfer_digit:
            self.ctx.spawn(self._hand_over(TransferReason.DTMF, digit))

    async def say(self, text: str) -> str:
        """After the job in progress; interruptible; into the history and the record."""
        while self._job is not None and not self._job.done():
            await asyncio.wait([self._job])
        if self._left:
            raise RuntimeError("the call was switched to copilot: Earpiece does not speak into it")
        job = self._start_job(self._speak_text(self.ctx.next_turn(), text))
        await asyncio.wait([job])
        return str(job.result()) if not job.cancelled() and job.exception() is None else ""

    def leave(self) -> list[Turn]:
        self._left = True
        handed = list(self._carried)
        for turn in self._open.values():
            turn.owner = None
            if turn.task is not None:
                turn.task.cancel()
            handed.append(turn)
        self._carried, self._open = [], {}
        if self._job is not None:
            self._job.cancel()
        if self.voice.current is not None:
            self.voice.current.interrupt()
        return sorted(handed, key=lambda t: t.id)

    def take_over(self, turns: list[Turn]) -> None:
        """The caller's unanswered words are answered as one question."""
        callers = caller_turns(turns)
        if not callers:
            return
        for turn in callers:
            self.adopt(turn)
        *self._carried, last = callers
        self._start_job(self._answer(last), last)

    # ---- from the listeners ----

    def listens_to(self, speaker: Speaker) -> bool:
        return speaker is Speaker.CALLER  # the agent's headset is not part of the conversation

    def on_frame(self, listener: Listener, frame: AudioFrame, voiced: bool) -> None:
        if self.voice.caller_frame(frame, voiced) is BargeInKind.INTERRUPT:
            self._interrupted = True
        self._check_silence(frame.captured_at, listener.in_speech)

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None:
        self._last_activity = time.monotonic()
        self._reprompted = False
        turn = self._job_turn
        if self.voice.playing:
            self._overlapping = True  # a backchannel unless it turns into a barge-in
            self._interrupted = False
        elif self._job is not None and not self._job.done() and turn is not None:
            # The caller goes on before hearing an answer: answer everything together later.
            if turn.announced:
                turn.owner = None
                self._carried.append(turn)
                self._open.pop(turn.id, None)
                self._job.cancel()
            else:  # still transcribing: that turn hands its words on when it has them
                self._superseded.add(turn.id)

    def wants_early(self, listener: Listener) -> bool:
        return not self._backchannel()

    async def prepare(self, listener: Listener, heard: Heard) -> None:
        await super().prepare(listener, heard)
        if heard.retrieval is not None and self.ctx.config.early_answer:
            heard.head = await self._prepare_head(heard.text, heard.retrieval)

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None:
        # Speech begun in the last frames of a reply (before the barge-in detector saw its onset)
        # stops being fed to the detector when playback ends: judge it by its length instead.
        short = event.utterance.voiced_ms < self.ctx.stack.vad.barge_in_min_ms
        backchannel = self._backchannel() and short
        self._overlapping = False
        if backchannel:
            listener.drop_early()
            return  # a backchannel or cough while Earpiece talked: not a turn
        turn = self.new_turn(listener, event)
        self._start_job(self._answer(turn), turn)

    # ---- jobs ----

    def _backchannel(self) -> bool:
        """Caller speech that began while Earpiece talked and has not (yet) interrupted it."""
        return self._overlapping and not self._interrupted

    def _start_job(self, coro: Coroutine[Any, Any, Any], turn: Turn | None = None) -> asyncio.Task[Any]:
        self._job = self.ctx.spawn(coro)
        self._job_turn = turn
        if turn is not None:
            turn.task = self._job
            self._open[turn.id] = turn
            self._job.add_done_callback(lambda _: self._open.pop(turn.id, None))
        return self._job

    async def _speak_text(self, turn_id: int, text: str) -> str:
        """A fixed text, spoken like a reply; what the caller heard joins the history."""
        said = await self.voice.speak(turn_id, _sentences(text)).wait()
        if said:
            self.ctx.history.append(ChatTurn("assistant", said))
        return said

    async def _answer(self, turn: Turn) -> None:
        heard = await turn.hear() or Heard("", 0, 0)
        text, retrieval, head = heard.text, heard.retrieval, heard.head
        superseded = turn.id in self._superseded
        if superseded or self._carried:
            if head is not None:
                await head.aclose()
            head, retrieval = None, None
        if superseded:
            self._superseded.discard(turn.id)
            turn.owner = None
            self._carried.append(turn)
            return
        if self._carried:
            carried, self._carried = self._carried, []
            earlier = [h.text for t in carried if (h := await t.hear()) is not None]
            text = " ".join([*earlier, text]).strip()
        if text:
            await self._respond(turn, text, retrieval, head)
        elif turn.event.utterance.voiced_ms >= self.ctx.config.not_caught_min_voiced_ms:
            # Speech, but no words (or the recogniser failed): never leave the caller in silence.
            await self._speak_text(turn.id, self.ctx.config.not_caught)

    async def _respond(
        self, turn: Turn, text: str, retrieval: Retrieval | None, head: ReplyHead | None
    ) -> None:
        ctx, metrics = self.ctx, turn.metrics
        ctx.announce(turn, text)
        metrics.question = text
        if turn.owner is not self:  # an observer of that line switched the call to copilot
            if head is not None:
                await head.aclose()
            return
        if head is not None:
            answer, sentences = head.answer, head.rest
        else:
            answer = Answer(text)
            sentences = ctx.stack.answerer.stream(answer, ctx.recent(), retrieval=retrieval)
        said = ""
        try:
            said = await self.voice.speak(turn.id, sentences, metrics=metrics, head=head).wait()
        finally:
            if turn.owner is self:
                self.fill_answer_metrics(metrics, answer)
                if not turn.remembered:
                    turn.remembered = True
                    ctx.history.append(ChatTurn("caller", text))
                if said:
                    ctx.history.append(ChatTurn("assistant", said))
                ctx.publish(TurnMetricsEvent(metrics))
                if answer.intent is Intent.HANDOVER:  # even if the caller talked over the reply
                    self._request_transfer(TransferReason.CALLER_ASKED, text)
        if answer.error:
            ctx.publish(StageError("llm", answer.error, turn.id, time.monotonic()))
        if answer.intent is Intent.GOODBYE:
            ctx.publish(HangUpRequested(HangUpReason.GOODBYE, time.monotonic()))
            ctx.finish("hangup_requested")

    async def _prepare_head(self, text: str, retrieval: Retrieval) -> ReplyHead | None:
        """The reply's first sentence, and the audio of its first phrase, ready to play the moment
        the turn is declared over. Nothing is played here."""
        answer = Answer(text)
        rest = self.ctx.stack.answerer.stream(answer, self.ctx.recent(), retrieval=retrieval)
        try:
            sentence = await anext(rest, None)
            if sentence is None:
                await rest.aclose()
                return None
            pieces = first_phrase_split(sentence)
            handed = time.monotonic()
            audio: list[bytes] = []
            first_at: float | None = None
            stream = SpeechStream.of(self.ctx.stack.tts, normalize_for_speech(pieces[0]))
            async for pcm in stream:
                first_at = first_at or time.monotonic()
                audio.append(pcm)
        except Exception:  # the normal path will try again, and report what fails
            await rest.aclose()
            return None
        except BaseException:
            await rest.aclose()
            raise
        return ReplyHead(answer, rest, sentence, pieces, audio, ms_between(handed, first_at), stream.served)

    # ---- handover and silence ----

    def _request_transfer(self, reason: TransferReason, said: str) -> None:
        self.ctx.publish(TransferRequested(reason, said, self.ctx.summary(), time.monotonic()))

    async def _hand_over(self, reason: TransferReason, said: str) -> None:
        if self._job is not None and not self._job.done():
            self._job.cancel()
            await asyncio.wait([self._job])
        if self._left:
            return  # in copilot the person on the call decides
        job = self._start_job(self._speak_text(self.ctx.next_turn(), HANDOVER_REPLY))
        await asyncio.wait([job])  # the caller may talk over it: transfer anyway
        self._request_transfer(reason, said)

    def _check_silence(self, now: float, caller_speaking: bool) -> None:
        busy = self.voice.playing or caller_speaking or (self._job is not None and not self._job.done())
        last = max(self._last_activity, self.voice.stopped_at)
        if busy:
            self._last_activity = max(last, now)
            return
        if now - last < self.ctx.config.silence_timeout_s:
            return
        self._last_activity = now
        turn_id = self.ctx.next_turn()
        if not self._reprompted:
            self._reprompted = True
            self._start_job(self._speak_text(turn_id, self.ctx.config.reprompt))
        else:
            self._start_job(self._silence_hang_up(turn_id))

    async def _silence_hang_up(self, turn_id: int) -> None:
        await self._speak_text(turn_id, self.ctx.config.silence_goodbye)
        self.ctx.publish(HangUpRequested(HangUpReason.SILENCE, time.monotonic()))
        self.ctx.finish("hangup_requested")


async def _sentences(text: str) -> AsyncGenerator[str, None]:
    for sentence in split_sentences(text):
        yield sentence
