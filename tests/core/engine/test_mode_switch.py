"""Switching a call between autonomous and copilot mid-call: one session, one record, and the
caller's question in flight is dealt with by the new mode (a card, or an answer aloud)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from earpiece.core.engine import (
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallSession,
    EngineConfig,
    EngineEvent,
    ModeChanged,
    Speaker,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.answering import Answerer
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    RealTimeTextToSpeech,
    ScriptedCaller,
    WordRetriever,
    next_event,
)
from tests.core.engine.test_session_autonomous import VAD, Call, greeted, run_call

QUESTION = "When are you open on Saturday?"


def _caller_lines(record: dict[str, object]) -> list[str]:
    lines = record["transcript"]
    assert isinstance(lines, list)
    return [line["text"] for line in lines if line["speaker"] == "caller"]


def test_switching_to_copilot_while_answering_stops_the_voice_and_the_question_gets_a_card() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say(QUESTION)
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 1)
        await asyncio.sleep(0.3)
        call.session.switch_mode(CallMode.COPILOT)
        assert call.session.mode is CallMode.COPILOT
        stopped = await next_event(call.events, BotSpeakingStopped)
        assert stopped.turn_id == 1 and stopped.interrupted
        changed = await next_event(call.events, ModeChanged)
        assert (changed.mode, changed.handed_over) == ("copilot", (1,))
        card = await next_event(call.events, SuggestionEvent)
        assert card.question == QUESTION and "nine to one" in card.answer
        metrics = (await next_event(call.events, TurnMetricsEvent)).metrics
        assert (metrics.turn_id, metrics.mode, metrics.question) == (1, "copilot", QUESTION)

    call = run_call(script, tts=RealTimeTextToSpeech(ms_per_char=50))
    record = json.loads(Path(call.record_path).read_text())
    assert _caller_lines(record) == [QUESTION]  # recorded once, in the call's one record
    assert record["transcript"][0]["text"].startswith("Hello, thank you for calling")


def test_a_switch_at_the_moment_the_question_is_heard_loses_nothing() -> None:
    """An observer switches on the caller's line itself, before the answer was spoken."""
    spoken: list[int] = []

    async def script(call: Call) -> None:
        def on_event(event: EngineEvent) -> None:
            if isinstance(event, TranscriptEvent) and event.final and event.speaker is Speaker.CALLER:
                call.session.switch_mode(CallMode.COPILOT)
            elif isinstance(event, BotSpeakingStarted):
                spoken.append(event.turn_id)

        call.session.events.subscribe(on_event)
        await greeted(call)
        call.caller.say(QUESTION)
        card = await next_event(call.events, SuggestionEvent)
        assert card.question == QUESTION and "nine to one" in card.answer
        await asyncio.sleep(0.5)

    call = run_call(script)
    assert 1 not in spoken, "Earpiece answered aloud after the switch to copilot"
    record = json.loads(Path(call.record_path).read_text())
    assert _caller_lines(record) == [QUESTION]


def _turn_card(card: SuggestionEvent) -> bool:
    """The turn's own card, not the early one made at a pause (turn_id 0)."""
    return card.turn_id > 0


def test_switching_to_autonomous_answers_the_question_the_agent_left_open() -> None:
    async def main() -> tuple[list[EngineEvent], Path | None]:
        caller = ScriptedCaller()
        stack = VoiceStack(
            HeardSpeechToText(lambda: caller.last_said),
            RealTimeTextToSpeech(ms_per_char=20),
            Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3),
            VAD,
        )
        session = CallSession(stack, mode=CallMode.COPILOT, sink=PlaybackSink(), config=EngineConfig())
        events = session.events.queue()
        runner = asyncio.create_task(session.run(caller.frames()))
        seen: list[EngineEvent] = []
        try:
            caller.say(QUESTION)
            turn_card = await next_event(events, SuggestionEvent, where=_turn_card)
            seen.append(turn_card)
            session.switch_mode(CallMode.AUTONOMOUS)
            seen.append(await next_event(events, ModeChanged))
            spoken = await next_event(events, TranscriptEvent, where=lambda e: e.speaker is Speaker.ASSISTANT)
            seen.append(spoken)
        finally:
            caller.hang_up()
            path = await asyncio.wait_for(runner, 10)
        return seen, path

    (card, changed, reply), path = asyncio.run(main())
    assert isinstance(card, SuggestionEvent) and isinstance(changed, ModeChanged)
    assert changed.mode == "autonomous" and changed.handed_over == (card.turn_id,)
    assert isinstance(reply, TranscriptEvent) and "Saturday we open from nine to one" in reply.text
    assert path is not None
    assert _caller_lines(json.loads(path.read_text())) == [QUESTION]


def test_autonomous_needs_the_call_sink() -> None:
    async def main() -> None:
        stack = VoiceStack(
            HeardSpeechToText(lambda: ""), RealTimeTextToSpeech(),
            Answerer(OfflineResponder(0.3), None), VAD,
        )
        session = CallSession(stack, mode=CallMode.COPILOT)
        try:
            session.switch_mode(CallMode.AUTONOMOUS)
        except ValueError as exc:
            assert "sink" in str(exc)
        else:
            raise AssertionError("a session without the call's sink switched to autonomous")
        assert session.mode is CallMode.COPILOT

    asyncio.run(main())


def test_a_say_waiting_for_its_turn_is_refused_once_the_call_is_in_copilot() -> None:
    async def script(call: Call) -> None:
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 0)
        waiting = asyncio.create_task(call.session.say("This must never be said."))
        await asyncio.sleep(0.1)
        call.session.switch_mode(CallMode.COPILOT)
        with pytest.raises(RuntimeError, match="copilot"):
            await waiting

    call = run_call(script, greeting="Hello and welcome. " * 6)
    assert not any("never be said" in s for s in call.tts.sentences)
