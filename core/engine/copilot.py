"""The copilot policy: a person takes the call, Earpiece listens and helps.

Caller and agent streams are transcribed separately and labelled; answerable caller questions
become `SuggestionEvent`s, optionally whispered to the agent's own sink, never into the call.
A caller question the agent has not answered yet (the agent has not spoken since) is handed to
the autonomous policy when the call is switched to it, so Earpiece answers it aloud.

Cards come while the caller is still talking: at a pause, the partial transcript of an answerable
question gets a provisional card (`turn_id` 0, as a partial transcript line has). At most one is
shown per caller turn: a later pause with new words refreshes it (the newest partial wins, an
older one still being answered is dropped), and only when the card would read differently; the
same words again change nothing. When the turn ends, its card replaces the provisional one; when
the final words are the partial's, the provisional card's answer is reused, not made again.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, replace

from earpiece.core.audio.frames import AudioSink
from earpiece.core.audio.turns import SpeechEnded, SpeechStarted
from earpiece.core.engine.answering import Answer, Retrieval
from earpiece.core.engine.events import SourceRef, Speaker, SuggestionEvent, TurnMetricsEvent
from earpiece.core.engine.listening import Heard, Listener, Turn
from earpiece.core.engine.metrics import TurnMetrics, ms_between
from earpiece.core.engine.policy import CallContext, Policy
from earpiece.core.interfaces import ChatTurn
from earpiece.core.llm.guard import Intent, precheck
from earpiece.core.settings import CallMode
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.stream import SpeechStream


@dataclass(slots=True)
class _Card:
    """A question answered for a card: `event` None when the knowledge base had no passage."""

    event: SuggestionEvent | None
    parts: list[str]  # the answer's sentences (whispered to the agent)
    answer: Answer


@dataclass(slots=True)
class _EarlyCard:
    """A provisional card in the making (or made) from a partial transcript of the caller."""

    heard: Heard
    made_at: float  # monotonic
    task: asyncio.Task[_Card]


def _words(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def _reads_the_same(a: SuggestionEvent, b: SuggestionEvent) -> bool:
    return (a.answer, a.confident, [s.source for s in a.sources]) == (
        b.answer, b.confident, [s.source for s in b.sources])


class CopilotPolicy(Policy):
    mode = CallMode.COPILOT

    def __init__(self, ctx: CallContext, agent_sink: AudioSink | None) -> None:
        super().__init__(ctx)
        self._agent_sink = agent_sink
        self._open: dict[int, Turn] = {}  # turns being transcribed or suggested on
        self._unanswered: Turn | None = None  # the caller's last question, if the agent has not spoken since
        self._early: _EarlyCard | None = None  # the caller's current turn's newest provisional card
        self._shown: SuggestionEvent | None = None  # the provisional card on screen, if any

    async def prepare(self, listener: Listener, heard: Heard) -> None:
        await super().prepare(listener, heard)
        if listener.speaker is Speaker.CALLER and self._answerable(heard.text):
            early = self._early
            if early is not None and _words(early.heard.text) == _words(heard.text):
                return  # the same words again: the card stands
            if early is not None:
                early.task.cancel()
            task = self.ctx.spawn(self._provisional(heard))
            self._early = _EarlyCard(heard, time.monotonic(), task)

    async def _provisional(self, heard: Heard) -> _Card:
        card = await self._card(0, heard.text, self.ctx.recent(), heard.retrieval)
        if self._early is None or self._early.heard is not heard:
            return card  # the turn ended meanwhile: its own card comes now, with this answer
        shown = self._shown
        if card.event is not None and (shown is None or not _reads_the_same(shown, card.event)):
            self._shown = card.event
            self.ctx.publish(card.event)
        return card

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None:
        if listener.speaker is Speaker.AGENT:
            self._unanswered = None

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None:
        self._start(self.new_turn(listener, event))

    def leave(self) -> list[Turn]:
        if self._early is not None:
            self._early.task.cancel()
        self._early = self._shown = None
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
        early, replaces = self._claim_early(turn, heard)
        if turn.speaker is Speaker.CALLER and (self._answerable(text) or replaces):
            self._unanswered = turn
            await self._suggest(turn, text, history, heard.retrieval, early, replaces)
        elif early is not None:
            early.task.cancel()
        ctx.publish(TurnMetricsEvent(turn.metrics))

    def _claim_early(self, turn: Turn, heard: Heard) -> tuple[_EarlyCard | None, bool]:
        """The provisional card made during this turn, if any, and whether one is on screen (the
        turn's card then replaces it). A card begun after the turn ended is the next turn's, unless
        it was made on this turn's own transcript (the pause's, reused as the final one)."""
        early = self._early
        if turn.speaker is not Speaker.CALLER or (early is None and self._shown is None):
            return None, False
        if early is not None and early.heard is not heard and early.made_at >= turn.event.detected_at:
            return None, False
        replaces = self._shown is not None
        self._early = self._shown = None
        return early, replaces

    def _answerable(self, text: str) -> bool:
        return (
            len(text.split()) >= self.ctx.config.suggestion_min_words
            and precheck(text).intent is Intent.QUESTION
        )

    async def _suggest(
        self,
        turn: Turn,
        text: str,
        history: list[ChatTurn],
        retrieval: Retrieval | None,
        early: _EarlyCard | None,
        replaces: bool,
    ) -> None:
        """The turn's card; `replaces`: a provisional card is on screen, so a card comes even
        when the final words find no passage (it then says so)."""
        card: _Card | None = None
        if early is not None and _words(early.heard.text) == _words(text):
            await asyncio.wait([early.task])  # the partial's card: answered once
            if not early.task.cancelled() and early.task.exception() is None:
                card = early.task.result()
        elif early is not None:
            early.task.cancel()  # made on words the caller went on from
        if card is None:
            card = await self._card(turn.id, text, history, retrieval)
        event = card.event
        if event is None and replaces:
            event = SuggestionEvent(text, "", (), card.answer.provider, turn.id, time.monotonic(), 0.0, False)
        if event is not None:
            self.ctx.publish(replace(event, question=text, turn_id=turn.id, at=time.monotonic()))
            if event.confident and self.ctx.config.whisper_to_agent and self._agent_sink is not None:
                await self._whisper(card.parts, turn.metrics)
        self.fill_answer_metrics(turn.metrics, card.answer)

    async def _card(
        self, turn_id: int, text: str, history: list[ChatTurn], retrieval: Retrieval | None
    ) -> _Card:
        answerer = self.ctx.stack.answerer
        retrieval = retrieval or await answerer.retrieve(text, history)
        answer = Answer(text)
        if not retrieval.passages:
            answer.retrieval = retrieval
            return _Card(None, [], answer)
        parts = [s async for s in answerer.stream(answer, history, retrieval=retrieval)]
        sources = tuple(
            SourceRef(p.source, p.title, round(p.score, 3), p.text[:300]) for p in retrieval.passages
        )
        confident = not answer.declined
        event = SuggestionEvent(
            text, " ".join(parts) if confident else "", sources, answer.provider, turn_id,
            time.monotonic(), round(answer.confidence, 3), confident,
        )
        return _Card(event, parts, answer)

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
