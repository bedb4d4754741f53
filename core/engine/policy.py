"""What the session shares with its policies (`CallContext`), and what every policy does alike.

A policy decides what a call's turns lead to: the autonomous one answers aloud, the copilot one
shows the human agent cards. The session switches policies mid-call; the leaving policy hands
its unfinished turns to the next (`leave()` -> `take_over()`), so no caller question is lost.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.turns import SpeechEnded, SpeechStarted
from earpiece.core.engine.answering import Answer
from earpiece.core.engine.bus import EventBus
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.events import EngineEvent, Speaker, TranscriptEvent
from earpiece.core.engine.listening import Heard, Listener, Turn, turn_metrics
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.interfaces import ChatTurn
from earpiece.core.llm.guard import Intent, precheck
from earpiece.core.settings import CallMode


class CallContext:
    """The call's shared state: stages, configuration, events, history and turn numbers."""

    def __init__(
        self,
        stack: VoiceStack,
        config: EngineConfig,
        events: EventBus,
        spawn: Callable[[Coroutine[Any, Any, Any]], asyncio.Task[Any]],
        finish: Callable[[str], None],
        *,
        started_at: float,
        turns_before: int = 0,
    ) -> None:
        """`started_at`: the monotonic time of the call record's t = 0 (`speech_start_s` is on
        that clock); `turns_before`: the record's last turn number (an earlier session's)."""
        self.stack = stack
        self.config = config
        self.events = events
        self.spawn = spawn
        self.finish = finish
        self.started_at = started_at
        self.history: list[ChatTurn] = []
        self._turns = turns_before

    def publish(self, event: EngineEvent) -> None:
        self.events.publish(event)

    def next_turn(self) -> int:
        self._turns += 1
        return self._turns

    def recent(self) -> list[ChatTurn]:
        """The history the answerer sees (`history_turns` lines; 0 = none)."""
        keep = self.config.history_turns
        return self.history[-keep:] if keep else []

    def summary(self) -> str:
        asked = [t.text for t in self.history if t.role == "caller"][-3:]
        return "Caller asked: " + " / ".join(asked) if asked else "No questions before the transfer."

    def announce(self, turn: Turn, text: str) -> None:
        """Publish the turn's final transcript line, once (a handed-over turn keeps its line)."""
        if not turn.announced:
            turn.announced = True
            self.publish(TranscriptEvent(turn.speaker, text, True, time.monotonic(), turn.id))

    def retriever_name(self) -> str:
        retriever = self.stack.answerer.retriever
        return str(getattr(retriever, "kb_name", type(retriever).__name__)) if retriever else "none"


class Policy:
    """The defaults every policy shares; subclasses override what their mode does."""

    mode: CallMode

    def __init__(self, ctx: CallContext) -> None:
        self.ctx = ctx

    # -- from the listeners --
    def listens_to(self, speaker: Speaker) -> bool:
        """Whose audio this mode works on; the other stream's frames pass unheard (no VAD, no
        turn model)."""
        return True

    def on_frame(self, listener: Listener, frame: AudioFrame, voiced: bool) -> None:
        """Every frame, before turn detection."""

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None:
        """Someone started speaking."""

    def wants_early(self, listener: Listener) -> bool:
        return True

    async def prepare(self, listener: Listener, heard: Heard) -> None:
        """Speculative work on a pause's transcript: a question's search."""
        if heard.text and precheck(heard.text).intent is Intent.QUESTION:
            heard.retrieval = await self.ctx.stack.answerer.retrieve(heard.text, self.ctx.recent())

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None:
        raise NotImplementedError

    # -- from the session --
    def start(self) -> None:
        """The call has just been answered in this mode."""

    def press_dtmf(self, digit: str) -> None:
        """A DTMF digit from the caller."""

    async def say(self, text: str) -> str:
        raise RuntimeError(f"a {self.mode} session does not speak into the call")

    def leave(self) -> list[Turn]:
        """Stop at once (the mode is being switched); return the turns not yet dealt with."""
        raise NotImplementedError

    def take_over(self, turns: list[Turn]) -> None:
        """Deal with the turns the previous policy left unfinished."""
        raise NotImplementedError

    # -- shared --
    def new_turn(self, listener: Listener, event: SpeechEnded) -> Turn:
        turn_id = self.ctx.next_turn()
        metrics = turn_metrics(turn_id, str(self.mode), listener.speaker, event, self.ctx.started_at)
        return Turn(turn_id, listener.speaker, event, metrics, listener, owner=self)

    def adopt(self, turn: Turn) -> None:
        """A handed-over turn is this policy's now, and reported in its mode."""
        turn.metrics.mode = str(self.mode)
        turn.owner = self

    def fill_answer_metrics(self, metrics: TurnMetrics, answer: Answer) -> None:
        metrics.answer = answer.text
        metrics.intent = str(answer.intent)
        metrics.llm_ttft_ms = answer.llm_ttft_ms
        metrics.guard = answer.guard_reason
        metrics.declined = answer.declined
        if answer.provider:
            metrics.providers["llm"] = answer.provider
        if answer.report is not None:
            metrics.llm_attempts = answer.report.attempt_dicts()
        if answer.retrieval is not None:
            metrics.confidence = answer.confidence
            metrics.retrieval_ms = answer.retrieval.ms
            metrics.providers["retrieval"] = self.ctx.retriever_name()
            metrics.sources = [p.source for p in answer.retrieval.passages]
            metrics.top_score = answer.retrieval.passages[0].score if answer.retrieval.passages else None


def caller_turns(turns: list[Turn]) -> list[Turn]:
    return [t for t in turns if t.speaker is Speaker.CALLER]
