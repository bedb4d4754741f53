"""The copilot policy: a person takes the call, Earpiece listens and helps.

Caller and agent streams are transcribed separately and labelled; answerable caller questions
become `SuggestionEvent`s, optionally whispered to the agent's own sink, never into the call.
A caller question the agent has not answered yet (the agent has not spoken since) is handed to
the autonomous policy when the call is switched to it, so Earpiece answers it aloud.
"""

from __future__ import annotations

import time

from earpiece.core.audio.frames import AudioSink
from earpiece.core.audio.turns import SpeechEnded, SpeechStarted
from earpiece.core.engine.answering import Answer, Retrieval
from earpiece.core.engine.events import SourceRef, Speaker, SuggestionEvent, TurnMetricsEvent
from earpiece.core.engine.listening import Listener, Turn
from earpiece.core.engine.metrics import TurnMetrics, ms_between
from earpiece.core.engine.policy import CallContext, Policy
from earpiece.core.interfaces import ChatTurn
from earpiece.core.llm.guard import Intent, precheck
from earpiece.core.settings import CallMode
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.stream import SpeechStream


class CopilotPolicy(Policy):
    mode = CallMode.COPILOT

    def __init__(self, ctx: CallContext, agent_sink: AudioSink | None) -> None:
        super().__init__(ctx)
        self._agent_sink = agent_sink
        self._open: dict[int, Turn] = {}  # turns being transcribed or suggested on
        self._unanswered: Turn | None = None  # the caller's last question, if the agent has not spoken since

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None:
        if listener.speaker is Speaker.AGENT:
            self._unanswered = None

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None:
        self._start(self.new_turn(listener, event))

    def leave(self) -> list[Turn]:
        handed = list(self._open.values())
        for turn in handed:
            turn.owner = None
            if turn.task is not None:
                turn.task.cancel()
        if self._unanswered is not None and self._unanswered.id not in self._open:
            handed.append(self._unanswered)
        self._open, self._unanswered = {}, None
        return sorted(handed, key=lambda t: t.id)

    def take_over(self, turns: list[Turn]) -> None:
        for turn in turns:
            self.adopt(turn)
            self._start(turn)

    def _start(self, turn: Turn) -> None:
        turn.task = self.ctx.spawn(self._turn(turn))
        self._open[turn.id] = turn
        turn.task.add_done_callback(lambda _: self._open.pop(turn.id, None))

    async def _turn(self, turn: Turn) -> None:
        heard = await turn.hear()
        if heard is None or not heard.text:
            return
        ctx, text = self.ctx, heard.text
        ctx.announce(turn, text)
        turn.metrics.question = text
        history = ctx.recent()
        if not turn.remembered:
            turn.remembered = True
            ctx.history.append(ChatTurn(str(turn.speaker), text))
        if turn.speaker is Speaker.CALLER and self._answerable(text):
            self._unanswered = turn
            await self._suggest(turn.id, text, history, heard.retrieval, turn.metrics)
        ctx.publish(TurnMetricsEvent(turn.metrics))

    def _answerable(self, text: str) -> bool:
        return (
            len(text.split()) >= self.ctx.config.suggestion_min_words
            and precheck(text).intent is Intent.QUESTION
        )

    async def _suggest(
        self,
        turn_id: int,
        text: str,
        history: list[ChatTurn],
        retrieval: Retrieval | None,
        metrics: TurnMetrics,
    ) -> None:
        answerer = self.ctx.stack.answerer
        retrieval = retrieval or await answerer.retrieve(text, history)
        answer = Answer(text)
        if retrieval.passages:
            parts = [s async for s in answerer.stream(answer, history, retrieval=retrieval)]
            sources = tuple(
                SourceRef(p.source, p.title, round(p.score, 3), p.text[:300]) for p in retrieval.passages
            )
            confident = not answer.declined
            self.ctx.publish(SuggestionEvent(
                text, " ".join(parts) if confident else "", sources, answer.provider, turn_id,
                time.monotonic(), round(answer.confidence, 3), confident,
            ))
            if confident and self.ctx.config.whisper_to_agent and self._agent_sink is not None:
                await self._whisper(parts, metrics)
        else:
            answer.retrieval = retrieval
        self.fill_answer_metrics(metrics, answer)

    async def _whisper(self, parts: list[str], metrics: TurnMetrics) -> None:
        """Speak the suggestion to the agent's own sink only (never into the call)."""
        assert self._agent_sink is not None
        tts = self.ctx.stack.tts
        first = True
        for sentence in parts:
            handed = time.monotonic()
            stream = SpeechStream.of(tts, normalize_for_speech(sentence))
            async for pcm in stream:
                if first:
                    first = False
                    metrics.tts_ttfb_ms = ms_between(handed, time.monotonic())
                    metrics.providers["tts"] = stream.served.provider or tts.name
                self._agent_sink.write(pcm)
