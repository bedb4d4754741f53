"""Copilot cards while the caller is still talking: a pause's partial transcript of a question gets
a provisional card (turn 0), refreshed only when it would read differently, and the turn's own card
replaces it when the turn ends (answered once when the words did not change)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from earpiece.core.engine import (
    CallSession,
    EngineConfig,
    EngineEvent,
    Speaker,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.answering import Answerer
from earpiece.core.interfaces import AnswerRequest
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, VadSettings
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
    next_event,
)

DELIVERY = "How much does standard delivery cost?"
DELIVERY_AGAIN = "What does standard delivery cost?"  # other words, the same answer
HOURS = "And are you open on Saturday?"
PAUSE_MS = 400  # a pause mid-turn: past the early pause (200 ms), short of the end of turn
VAD = VadSettings(end_of_turn_ms=1000)


class CountingResponder(OfflineResponder):
    """The offline responder, counting the questions it answers (after `delay_s`, as a model's
    first words would come)."""

    def __init__(self, delay_s: float = 0.0) -> None:
        super().__init__(0.3)
        self.questions: list[str] = []
        self.delay_s = delay_s

    async def respond(self, request: AnswerRequest) -> AsyncIterator[str]:
        self.questions.append(request.question)
        await asyncio.sleep(self.delay_s)
        async for part in super().respond(request):
            yield part


Seen = list[TranscriptEvent | SuggestionEvent]
Collected = tuple[list[str], list[SuggestionEvent], CountingResponder]


def run_turn(say: Callable[[ScriptedCaller], None], answer_delay_s: float) -> tuple[Seen, CountingResponder]:
    """One caller turn in a copilot session: its transcript lines and cards, in order."""

    async def main() -> tuple[Seen, CountingResponder]:
        caller = ScriptedCaller()
        responder = CountingResponder(answer_delay_s)
        stack = VoiceStack(
            HeardSpeechToText(lambda: caller.last_said),
            ToneTextToSpeech(),
            Answerer(responder, WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3),
            VAD,
        )
        session = CallSession(stack, mode=CallMode.COPILOT, config=EngineConfig())
        events: asyncio.Queue[EngineEvent] = session.events.queue()
        seen: Seen = []

        def keep(event: EngineEvent) -> None:
            if isinstance(event, TranscriptEvent | SuggestionEvent):
                seen.append(event)

        session.events.subscribe(keep)
        runner = asyncio.create_task(session.run(caller.frames()))
        try:
            say(caller)
            await next_event(events, TurnMetricsEvent)  # the turn is dealt with
            await asyncio.sleep(0.3)  # a late provisional card would come in this time
        finally:
            caller.hang_up()
            await asyncio.wait_for(runner, 10)
        return seen, responder

    return asyncio.run(main())


def collect(say: Callable[[ScriptedCaller], None], answer_delay_s: float = 0.0) -> Collected:
    """What the agent saw, as lines ("partial: ...", "final: ...", "card 0: ...") and the cards."""
    seen, responder = run_turn(say, answer_delay_s)
    lines = []
    for event in seen:
        if isinstance(event, TranscriptEvent):
            assert event.speaker is Speaker.CALLER
            lines.append(f"{'final' if event.final else 'partial'}: {event.text}")
        else:
            lines.append(f"card {event.turn_id}: {event.question}")
    return lines, [e for e in seen if isinstance(e, SuggestionEvent)], responder


def test_a_card_comes_at_the_pause_and_the_turns_card_replaces_it_answered_once() -> None:
    lines, cards, responder = collect(lambda caller: caller.say(DELIVERY))
    assert lines == [f"partial: {DELIVERY}", f"card 0: {DELIVERY}",
                     f"final: {DELIVERY}", f"card 1: {DELIVERY}"]
    provisional, final = cards
    assert "four pounds ninety-five" in provisional.answer
    assert (final.answer, final.sources, final.confidence) == (
        provisional.answer, provisional.sources, provisional.confidence)
    assert responder.questions == [DELIVERY], "the turn's card reuses the pause's answer"


def test_the_same_question_again_or_in_other_words_makes_no_second_card() -> None:
    def say(caller: ScriptedCaller) -> None:
        caller.say(DELIVERY, pause_after_ms=PAUSE_MS)
        caller.say(DELIVERY_AGAIN, pause_after_ms=PAUSE_MS)  # the same answer: the card stands
        caller.say(DELIVERY_AGAIN)  # the same words: not even answered again

    lines, cards, responder = collect(say)
    assert lines == [f"partial: {DELIVERY}", f"card 0: {DELIVERY}", f"partial: {DELIVERY_AGAIN}",
                     f"partial: {DELIVERY_AGAIN}", f"final: {DELIVERY_AGAIN}", f"card 1: {DELIVERY_AGAIN}"]
    assert cards[0].answer == cards[1].answer
    assert responder.questions == [DELIVERY, DELIVERY_AGAIN]


def test_a_caller_who_goes_on_to_another_question_gets_the_card_refreshed() -> None:
    def say(caller: ScriptedCaller) -> None:
        caller.say(DELIVERY, pause_after_ms=PAUSE_MS)
        caller.say(HOURS)

    lines, cards, _ = collect(say)
    assert lines == [f"partial: {DELIVERY}", f"card 0: {DELIVERY}", f"partial: {HOURS}", f"card 0: {HOURS}",
                     f"final: {HOURS}", f"card 1: {HOURS}"]
    assert "nine to one" in cards[1].answer and cards[2].answer == cards[1].answer


def test_a_provisional_card_is_always_settled_when_the_turn_ends() -> None:
    """The turn's final words are no question (too short for a card of their own), yet a provisional
    card is on screen: the turn's card replaces it rather than leave it standing as provisional."""

    def say(caller: ScriptedCaller) -> None:
        caller.say(DELIVERY, pause_after_ms=PAUSE_MS)
        caller.say("Okay.")

    lines, cards, _ = collect(say)
    assert lines == [f"partial: {DELIVERY}", f"card 0: {DELIVERY}", "partial: Okay.", "final: Okay.",
                     "card 1: Okay."]
    assert cards[-1].answer == "" and not cards[-1].confident


def test_an_answer_that_comes_after_the_turn_ended_is_only_the_turns_card() -> None:
    """Answering the pause's words takes longer than the rest of the turn: no provisional card
    flashes up after the caller's line; the turn's card uses that answer."""
    lines, _, responder = collect(lambda caller: caller.say(DELIVERY), answer_delay_s=1.2)
    assert lines == [f"partial: {DELIVERY}", f"final: {DELIVERY}", f"card 1: {DELIVERY}"]
    assert responder.questions == [DELIVERY]
