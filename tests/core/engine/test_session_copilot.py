"""Copilot calls: both sides transcribed and labelled, suggestion cards for answerable caller
questions, and the optional whisper that only the agent hears."""

from __future__ import annotations

import asyncio

from earpiece.core.engine import (
    CallSession,
    EngineConfig,
    Speaker,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.answering import Answerer
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, VadSettings
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
    next_event,
)

QUESTION = "Hello, how much does standard delivery cost?"
# What the copilot call shows, in order: the agent's line, the caller's question, its card and turn
# metrics, then a short caller line and its metrics.
Seen = tuple[
    TranscriptEvent, TranscriptEvent, SuggestionEvent, TurnMetricsEvent, TranscriptEvent, TurnMetricsEvent
]


def _final(event: TranscriptEvent) -> bool:
    return event.final


def _callers(event: TurnMetricsEvent) -> bool:
    return event.metrics.speaker == "caller"


def test_both_sides_are_labelled_and_an_answerable_question_gets_a_card_and_a_whisper() -> None:
    async def main() -> tuple[Seen, PlaybackSink, ToneTextToSpeech]:
        heard: list[str] = []
        caller, agent = ScriptedCaller(heard), ScriptedCaller(heard)
        whisper_sink = PlaybackSink()
        tts = ToneTextToSpeech()
        stack = VoiceStack(
            HeardSpeechToText(lambda: heard[-1]),
            tts,
            Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3),
            VadSettings(end_of_turn_ms=500),
        )
        session = CallSession(
            stack, mode=CallMode.COPILOT, agent_sink=whisper_sink, config=EngineConfig(whisper_to_agent=True)
        )
        events = session.events.queue()
        runner = asyncio.create_task(session.run(caller.frames(), agent.frames()))
        try:
            agent.say("Good morning, Larkspur customer care.")
            agent_line = await next_event(events, TranscriptEvent, where=_final)
            caller.say(QUESTION)
            caller_line = await next_event(events, TranscriptEvent, where=_final)
            card = await next_event(events, SuggestionEvent)
            metrics_event = await next_event(events, TurnMetricsEvent, where=_callers)
            caller.say("Okay.")  # too short to be a question: no card
            short_line = await next_event(events, TranscriptEvent, where=_final)
            short_metrics = await next_event(events, TurnMetricsEvent)
        finally:
            caller.hang_up()
            agent.hang_up()
            await asyncio.wait_for(runner, 10)
        seen = (agent_line, caller_line, card, metrics_event, short_line, short_metrics)
        return seen, whisper_sink, tts

    seen, whisper_sink, tts = asyncio.run(main())
    agent_line, caller_line, card, metrics_event, short_line, short_metrics = seen
    assert (agent_line.speaker, agent_line.text) == (Speaker.AGENT, "Good morning, Larkspur customer care.")
    assert (caller_line.speaker, caller_line.text) == (Speaker.CALLER, QUESTION)
    assert card.question == caller_line.text
    assert card.answer == KNOWLEDGE[1].text
    assert [s.source for s in card.sources] == ["faq.csv"] and card.provider == "offline"
    # The whisper went to the agent's sink only (there is no call sink in copilot mode).
    assert len(whisper_sink.written) > 0 and tts.sentences == [card.answer]
    metrics = metrics_event.metrics
    assert metrics.mode == "copilot" and metrics.speaker == "caller"
    assert metrics.retrieval_ms is not None and metrics.tts_ttfb_ms is not None
    assert metrics.voice_to_voice_ms is None  # nothing is spoken into the call
    assert short_line.text == "Okay." and short_metrics.metrics.retrieval_ms is None
