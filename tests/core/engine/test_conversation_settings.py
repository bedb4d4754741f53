"""The conversation's texts and numbers are settings (`Settings.conversation`), and they change
what a session does."""

from __future__ import annotations

import asyncio

from earpiece.core.engine import BotSpeakingStarted, TransferRequested, TurnMetricsEvent
from earpiece.core.engine.answering import Answerer
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.factory import create_session
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, ConversationSettings, Settings
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
    next_event,
)
from tests.core.engine.test_session_autonomous import VAD, Call, greeted, run_call

CONVERSATION = ConversationSettings(
    greeting="Good morning, Larkspur garden centre.", reprompt="Hello? Anyone there?",
    silence_goodbye="Goodbye for now.", not_caught="Pardon?", silence_timeout_s=1.0, history_turns=2,
)


def test_the_session_configuration_comes_from_the_settings_and_overrides_win() -> None:
    settings = Settings(conversation=CONVERSATION)
    config = EngineConfig.from_settings(settings)
    assert (config.greeting, config.reprompt, config.silence_goodbye, config.not_caught) == (
        CONVERSATION.greeting, CONVERSATION.reprompt, CONVERSATION.silence_goodbye, CONVERSATION.not_caught
    )
    assert (config.silence_timeout_s, config.history_turns) == (1.0, 2)
    assert EngineConfig.from_settings(settings, greeting="").greeting == ""


def test_a_session_built_from_settings_greets_and_reprompts_with_their_texts_and_timeout() -> None:
    async def main() -> list[str]:
        caller = ScriptedCaller()
        tts = ToneTextToSpeech()
        stack = VoiceStack(
            HeardSpeechToText(lambda: caller.last_said), tts,
            Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE))), VAD,
        )
        session = create_session(Settings(conversation=CONVERSATION), stack, mode=CallMode.AUTONOMOUS,
                                 sink=PlaybackSink())
        events = session.events.queue()
        runner = asyncio.create_task(session.run(caller.frames()))
        try:
            started = [await next_event(events, BotSpeakingStarted) for _ in range(2)]
        finally:
            caller.hang_up()
            await asyncio.wait_for(runner, 10)
        return [e.text for e in started]

    assert asyncio.run(main()) == ["Good morning, Larkspur garden centre.", "Hello?"]


def test_with_no_history_a_yes_does_not_accept_an_offer_made_before() -> None:
    offer = "I can't find that. Would you like to talk to a person?"

    async def script(call: Call) -> None:
        await greeted(call)
        await call.session.say(offer)
        call.caller.say("Yes please.")
        metrics = (await next_event(call.events, TurnMetricsEvent)).metrics
        assert metrics.intent != "handover"
        await asyncio.sleep(0.3)
        assert call.events.empty() or not any(
            isinstance(call.events.get_nowait(), TransferRequested) for _ in range(call.events.qsize())
        )

    run_call(script, history_turns=0)
