"""Barge-in with a voice that produces its audio in real time (as Piper and edge-tts stream): the
reply must stop (nothing more is synthesised or written), the next answer must be heard, and the
call record and the conversation must hold only what the caller heard of the interrupted reply."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from earpiece.core.engine import (
    BargeInAction,
    BargeInEvent,
    BotSpeakingStarted,
    EngineEvent,
    Speaker,
    TranscriptEvent,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.engine.reply import _Voiced, heard_text
from tests.core.engine.harness import RealTimeTextToSpeech, next_event
from tests.core.engine.test_session_autonomous import Call, run_call

GREETING = (
    "Hello and welcome to Larkspur. We are glad you called today. Our team can help with orders. "
    "We can also help with deliveries. Thank you for your patience."
)
MS_PER_CHAR = 50


def _assistant(turn_id: int):  # type: ignore[no-untyped-def]
    return lambda e: e.speaker is Speaker.ASSISTANT and e.turn_id == turn_id


def test_an_interrupted_reply_stops_and_only_what_was_heard_is_recorded() -> None:
    tts = RealTimeTextToSpeech(ms_per_char=MS_PER_CHAR)
    seen: dict[str, object] = {}

    async def script(call: Call) -> None:
        started = await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 0)
        await asyncio.sleep(1.5)
        call.caller.say("Sorry to interrupt, when are you open on Saturday?")
        interrupt = await next_event(
            call.events, BargeInEvent, where=lambda e: e.action is BargeInAction.INTERRUPT
        )
        chunks_at_interrupt = tts.chunks
        heard = await next_event(call.events, TranscriptEvent, where=_assistant(0))
        await asyncio.sleep(0.5)  # a reply still being synthesised would go on producing audio
        seen["chunks_after"] = tts.chunks - chunks_at_interrupt
        answer = await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 1)
        reply = await next_event(call.events, TranscriptEvent, where=_assistant(1), timeout=20)
        seen.update(started=started, interrupt=interrupt, heard=heard, answer=answer, reply=reply)

    call = run_call(script, tts=tts, greeting=GREETING)
    started, interrupt, heard, answer, reply = (
        seen["started"], seen["interrupt"], seen["heard"], seen["answer"], seen["reply"]
    )
    assert isinstance(started, BotSpeakingStarted) and isinstance(interrupt, BargeInEvent)
    assert isinstance(heard, TranscriptEvent) and isinstance(answer, BotSpeakingStarted)
    # The reply stopped: its synthesis was abandoned and nothing of it reached the call afterwards.
    assert tts.abandoned >= 1 and seen["chunks_after"] == 0
    late = [at for at, _ in call.sink.writes if interrupt.at < at < answer.at]
    assert not late, f"{len(late)} writes of the interrupted reply after the interruption"
    # The next answer was played (the paused sink was cleared, not left holding the old audio).
    assert any(at >= answer.at for at, _ in call.sink.writes)
    assert isinstance(reply, TranscriptEvent) and "Saturday" in reply.text
    # Only what was heard: a strict prefix of the greeting, about as long as the time it played.
    assert GREETING.startswith(heard.text) and len(heard.text) < len(GREETING) - 40
    played_ms = (interrupt.onset_at - started.at) * 1000
    assert abs(len(heard.text) * MS_PER_CHAR - played_ms) < 1200, (heard.text, played_ms)
    record = json.loads(Path(call.record_path).read_text())
    greeting_lines = [line["text"] for line in record["transcript"] if line["turn"] == 0]
    assert greeting_lines == [heard.text]


def test_an_offer_the_caller_did_not_hear_is_not_accepted_by_their_yes() -> None:
    """The history holds what was heard: "yes" to an offer cut off before it was spoken is no
    request for a person."""
    offer = (
        "We are open Monday to Friday from eight in the morning to six in the evening. "
        "On Saturday we open from nine to one. Would you like to talk to a person?"
    )
    tts = RealTimeTextToSpeech(ms_per_char=MS_PER_CHAR)

    async def script(call: Call) -> None:
        saying = asyncio.create_task(call.session.say(offer))
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.text.startswith("We are open"))
        await asyncio.sleep(1.0)
        call.caller.say("Yes please, go ahead.")
        heard = await saying
        assert heard and "person" not in heard
        metrics = (await next_event(call.events, TurnMetricsEvent, timeout=20)).metrics
        assert metrics.question == "Yes please, go ahead."
        assert metrics.intent != "handover"
        await asyncio.sleep(0.5)

    call = run_call(script, tts=tts, greeting="")
    assert not [e for e in _drain(call) if isinstance(e, TransferRequested)]


def _drain(call: Call) -> list[EngineEvent]:
    events: list[EngineEvent] = []
    while not call.events.empty():
        events.append(call.events.get_nowait())
    return events


def test_heard_text_cuts_the_sentence_that_was_playing_in_proportion() -> None:
    voiced = [_Voiced("One two three four.", 0, 1000), _Voiced("Five six seven eight.", 1000, 2000)]
    assert heard_text(voiced, 0) == ""
    assert heard_text(voiced, 999) == "One two three"
    assert heard_text(voiced, 1000) == "One two three four."
    assert heard_text(voiced, 1500) == "One two three four. Five six"
    assert heard_text(voiced, 2000) == "One two three four. Five six seven eight."


def test_a_sentence_cut_during_its_synthesis_is_measured_at_the_reply_s_speaking_rate() -> None:
    """Its audio's full length is unknown: the finished sentence gives the rate (50 bytes/char)."""
    first = _Voiced("abcd efgh ij.", 0, 650)  # 13 characters
    cut = _Voiced("one two three four five six seven eight nine.", 650, 1300, complete=False)
    # 650 bytes of 45 characters * 50 = 2250: about a quarter of the words were heard.
    assert heard_text([first, cut], 1300) == "abcd efgh ij. one two"
