"""How a caller's turn ends and what it leaves behind: the Smart Turn model's verdict in a live
session (the real model, real speech), the caller's talk time in the turn's metrics and the call
record, and never dead air when speech brought no words."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

import pytest

from earpiece.core.audio.smart_turn import SmartTurnModel
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.engine import BotSpeakingStarted, Speaker, TranscriptEvent, TurnMetricsEvent
from earpiece.core.engine.config import EngineConfig
from earpiece.core.engine.factory import build_voice_stack
from earpiece.core.settings import Settings, SttSettings
from tests.audio_gen import espeak_speech, piper_speech
from tests.core.engine.harness import next_event
from tests.core.engine.test_session_autonomous import Call, greeted, run_call

SMART_TURN = TurnSettings(endpointing=Endpointing.SMART_TURN, model_silence_ms=200, max_silence_ms=3000)
NOT_CAUGHT = EngineConfig().not_caught


@pytest.mark.models
def test_the_turn_model_ends_a_finished_question_long_before_the_maximum_silence() -> None:
    question = "When are you open on Saturday?"
    pcm = piper_speech(question)

    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say(question, pcm=pcm)
        call.metrics = (await next_event(call.events, TurnMetricsEvent, timeout=20)).metrics

    call = run_call(script, turns=SMART_TURN)
    m = call.metrics
    assert m.turn_model_ms is not None and m.turn_model_ms > 0
    assert m.endpoint_delay_ms is not None and m.endpoint_delay_ms < 1500  # the maximum is 3000
    assert [label for label, _ in m.stages()][:2] == ["endpoint delay", "turn model"]
    assert m.stt_early  # the transcript made at the pause was the final one
    # Talk time: from the first to the end of the last voiced frame, on the record's clock.
    assert m.speech_ms is not None and 0.6 * len(pcm) / 32 < m.speech_ms <= len(pcm) / 32 + 40
    record = json.loads(Path(call.record_path).read_text())
    (turn,) = record["turns"]
    (line,) = [x for x in record["transcript"] if x["speaker"] == "caller"]
    assert turn["speech_ms"] == m.speech_ms and turn["voiced_ms"] == m.voiced_ms
    speech_end_s = turn["speech_start_s"] + turn["speech_ms"] / 1000
    assert speech_end_s < line["t"] < speech_end_s + 3.0  # the line is written once it was heard


def test_speech_without_words_is_answered_at_once_with_a_request_to_say_it_again() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("", pcm=espeak_speech("mumble grumble the thing"))  # the recogniser hears nothing
        while not call.caller.speaking:
            await asyncio.sleep(0.01)
        while call.caller.speaking:
            await asyncio.sleep(0.01)
        ended = time.monotonic()
        asked = await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id > 0)
        assert NOT_CAUGHT.startswith(asked.text)
        assert asked.at - ended < 1.0, f"{asked.at - ended:.2f} s of dead air"
        line = await next_event(call.events, TranscriptEvent, where=lambda e: e.speaker is Speaker.ASSISTANT)
        assert line.text == NOT_CAUGHT

    run_call(script)


def test_a_short_sound_without_words_gets_no_request_to_say_it_again() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("", pcm=espeak_speech("hm")[: 32 * 250])  # 250 ms
        await asyncio.sleep(2.0)

    call = run_call(script)
    assert call.stt.calls >= 1  # it was taken for a turn, and transcribed
    assert not [s for s in call.tts.sentences if NOT_CAUGHT.startswith(s)]


@pytest.mark.models
def test_the_factory_loads_the_turn_model_only_when_the_settings_ask_for_it() -> None:
    stt = SttSettings(workers=0)
    stack = build_voice_stack(Settings(turns=SMART_TURN, stt=stt))
    assert isinstance(stack.turn_model, SmartTurnModel) and stack.turns == SMART_TURN
    default = build_voice_stack(Settings(stt=stt))
    assert default.turn_model is None and default.turns is not None
    assert default.turns.endpointing is Endpointing.TRANSCRIPT
