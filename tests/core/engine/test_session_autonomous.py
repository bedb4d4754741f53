"""Autonomous calls: frames of real (eSpeak NG) speech in, events and reply audio out.

The recogniser and the voice are stand-ins here (what the caller said / a tone per sentence), so
these tests are about the conversation: turns, handover, goodbye, silence, barge-in, metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from earpiece.core.audio.smart_turn import load_smart_turn
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.engine import (
    BargeInAction,
    BargeInEvent,
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    CallSession,
    EngineConfig,
    HangUpReason,
    HangUpRequested,
    Speaker,
    TranscriptEvent,
    TransferReason,
    TransferRequested,
    TurnMetrics,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.answering import Answerer
from earpiece.core.interfaces import Responder, TextToSpeech
from earpiece.core.llm.guard import HANDOVER_REPLY, NOT_FOUND_REPLY
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, VadSettings
from tests.audio_gen import espeak_speech
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
    next_event,
)

VAD = VadSettings(end_of_turn_ms=500)


class Call:
    def __init__(
        self,
        responder: Responder | None = None,
        stt_delay_s: float = 0.05,
        tts: TextToSpeech | None = None,
        turns: TurnSettings | None = None,
        **config: object,
    ) -> None:
        self.caller = ScriptedCaller()
        self.sink = PlaybackSink()
        self.stt = HeardSpeechToText(lambda: self.caller.last_said, stt_delay_s)
        self.tts: Any = tts or ToneTextToSpeech()
        self.retriever = WordRetriever(list(KNOWLEDGE))
        answerer = Answerer(responder or OfflineResponder(0.3), self.retriever, top_k=2, min_score=0.3)
        smart_turn = turns is not None and turns.endpointing is Endpointing.SMART_TURN
        model = load_smart_turn(turns) if turns is not None and smart_turn else None
        self.session = CallSession(
            VoiceStack(self.stt, self.tts, answerer, VAD, turns, model),
            mode=CallMode.AUTONOMOUS,
            sink=self.sink,
            config=EngineConfig(**config),  # type: ignore[arg-type]
        )
        self.events = self.session.events.queue()
        self._record_path: Path | None = None
        self._metrics: TurnMetrics | None = None

    @property
    def record_path(self) -> Path:
        """The saved call record (once the session has ended)."""
        assert self._record_path is not None, "the call record was not saved"
        return self._record_path

    @record_path.setter
    def record_path(self, path: Path | None) -> None:
        self._record_path = path

    @property
    def metrics(self) -> TurnMetrics:
        """A turn's metrics, kept by a test's script."""
        assert self._metrics is not None, "the script kept no turn metrics"
        return self._metrics

    @metrics.setter
    def metrics(self, metrics: TurnMetrics) -> None:
        self._metrics = metrics


def run_call(
    script: Callable[[Call], Awaitable[None]],
    responder: Responder | None = None,
    stt_delay_s: float = 0.05,
    tts: TextToSpeech | None = None,
    turns: TurnSettings | None = None,
    **config: object,
) -> Call:
    """Run a session while `script` plays the caller; the caller hangs up when the script ends."""

    async def main() -> Call:
        call = Call(responder, stt_delay_s, tts, turns, **config)
        runner = asyncio.create_task(call.session.run(call.caller.frames()))
        try:
            await asyncio.wait_for(script(call), 30)
        finally:
            call.caller.hang_up()
            call.record_path = await asyncio.wait_for(runner, 10)
        return call

    return asyncio.run(main())


def _final_caller(event: TranscriptEvent) -> bool:
    return event.speaker is Speaker.CALLER and event.final


def _assistant(event: TranscriptEvent) -> bool:
    return event.speaker is Speaker.ASSISTANT


async def greeted(call: Call) -> None:
    """The greeting has been played (its transcript line comes after playback)."""
    await next_event(call.events, TranscriptEvent, where=lambda e: e.turn_id == 0)


def test_greeting_question_answer_goodbye_and_the_call_record() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("When are you open on Saturday?")
        partial = await next_event(call.events, TranscriptEvent, where=lambda e: e.speaker is Speaker.CALLER)
        assert (partial.final, partial.text) == (False, "When are you open on Saturday?")
        said = await next_event(call.events, TranscriptEvent, where=_final_caller)
        assert said.text == "When are you open on Saturday?" and said.final
        started = await next_event(call.events, BotSpeakingStarted)
        assert started.turn_id == 1
        await next_event(call.events, BotSpeakingStopped, where=lambda e: e.turn_id == 1)
        reply = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert "Saturday we open from nine to one" in reply.text
        call.metrics = (await next_event(call.events, TurnMetricsEvent)).metrics
        call.caller.say("Thanks, goodbye.")
        hang_up = await next_event(call.events, HangUpRequested)
        assert hang_up.reason is HangUpReason.GOODBYE
        await next_event(call.events, CallEnded)

    call = run_call(script)
    assert call.tts.sentences[0].startswith("Hello, thank you for calling")
    assert call.tts.sentences[-1] == "Thank you for calling. Goodbye!"
    assert len(call.sink.written) > 0
    m = call.metrics
    assert m.question == "When are you open on Saturday?" and m.intent == "question"
    assert m.confidence is not None and m.confidence > 0.5 and not m.declined
    assert m.providers == {
        "stt": "fake-stt",
        "retrieval": "WordRetriever",
        "llm": "offline",
        "tts": "fake-tts",
    }
    assert m.sources == ["hours.md"] and m.top_score is not None and m.top_score >= 0.3
    # Every stage was timed, and the stages fit inside voice-to-voice.
    for name in (
        "endpoint_delay_ms",
        "stt_ms",
        "stt_compute_ms",
        "retrieval_ms",
        "llm_ttft_ms",
        "tts_ttfb_ms",
    ):
        assert getattr(m, name) is not None and getattr(m, name) >= 0, name
    assert m.endpoint_delay_ms is not None and m.stt_ms is not None and m.voice_to_voice_ms is not None
    assert m.endpoint_delay_ms >= VAD.end_of_turn_ms - 40
    assert m.voice_to_voice_ms >= m.endpoint_delay_ms
    assert m.voice_to_voice_ms < m.endpoint_delay_ms + 1500
    assert [label for label, _ in m.stages()] == [
        "endpoint delay",
        "STT",
        "retrieval",
        "LLM TTFT",
        "TTS TTFB",
    ]
    # The transcript was made during the end-of-turn silence and reused: one recogniser run.
    assert m.stt_early is True and m.stt_ms < m.endpoint_delay_ms
    # ... and the reply's first phrase was voiced before the turn was even declared over.
    first_reply = next(i for i, s in enumerate(call.tts.sentences) if "Saturday" in s)
    assert call.tts.started_at[first_reply] < m.end_of_speech_at + m.endpoint_delay_ms / 1000

    record = json.loads(Path(call.record_path).read_text())
    assert Path(call.record_path).parent.name == "calls"
    assert record["end_reason"] == "hangup_requested" and record["mode"] == "autonomous"
    speakers = [(line["speaker"], line["text"][:12]) for line in record["transcript"]]
    assert speakers == [
        ("assistant", "Hello, thank"),
        ("caller", "When are you"),
        ("assistant", "On Saturday "),
        ("caller", "Thanks, good"),
        ("assistant", "Thank you fo"),
    ]
    assert [t["intent"] for t in record["turns"]] == ["question", "goodbye"]
    assert record["turns"][0]["voice_to_voice_ms"] == m.voice_to_voice_ms
    assert record["summary"]["voice_to_voice_ms"]["p50"] > 0
    assert record["events"][-1]["event"] == "HangUpRequested"


def test_a_question_outside_the_knowledge_base_offers_a_person() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("What is the capital of Peru?")
        reply = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert reply.text == NOT_FOUND_REPLY
        metrics = (await next_event(call.events, TurnMetricsEvent)).metrics
        assert metrics.providers["llm"] == "guard" and metrics.llm_ttft_ms is None
        assert metrics.declined  # a knowledge gap, as the call record and analytics see it

    run_call(script)


def test_asking_for_a_person_requests_a_transfer_after_saying_so() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("How much is delivery?")
        await next_event(call.events, BotSpeakingStopped, where=lambda e: e.turn_id == 1)
        call.caller.say("I want a person.")
        transfer = await next_event(call.events, TransferRequested)
        assert transfer.reason is TransferReason.CALLER_ASKED
        assert transfer.said == "I want a person."
        assert "How much is delivery?" in transfer.summary

    call = run_call(script)
    assert " ".join(call.tts.sentences).endswith(HANDOVER_REPLY)


def test_dtmf_zero_interrupts_and_requests_a_transfer() -> None:
    async def script(call: Call) -> None:
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 0)
        call.session.press_dtmf("5")  # not the transfer digit
        call.session.press_dtmf("0")
        stopped = await next_event(call.events, BotSpeakingStopped)
        assert stopped.interrupted and stopped.turn_id == 0
        transfer = await next_event(call.events, TransferRequested)
        assert (transfer.reason, transfer.said) == (TransferReason.DTMF, "0")

    call = run_call(script)
    assert " ".join(call.tts.sentences).endswith(HANDOVER_REPLY)
    assert call.sink.flushes >= 1


def test_silence_reprompts_then_hangs_up() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        reprompt = await next_event(call.events, BotSpeakingStarted, timeout=5)
        assert reprompt.text == "Are you still there?"  # the first sentence of the reprompt
        hang_up = await next_event(call.events, HangUpRequested, timeout=8)
        assert hang_up.reason is HangUpReason.SILENCE
        await next_event(call.events, CallEnded)

    call = run_call(script, silence_timeout_s=1.0)
    assert call.tts.sentences[-1].endswith("Goodbye!")


def test_barge_in_stops_the_reply_and_the_caller_is_heard() -> None:
    long_greeting = "Hello and welcome. " + "We are glad you called. " * 6

    async def script(call: Call) -> None:
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 0)
        await asyncio.sleep(0.3)
        call.caller.say("Sorry to interrupt, when are you open on Saturday?")
        pause = await next_event(call.events, BargeInEvent)
        assert pause.action is BargeInAction.PAUSE
        assert pause.at - pause.onset_at < 0.2  # playback stops within 200 ms of the caller's onset
        interrupt = await next_event(call.events, BargeInEvent)
        assert interrupt.action is BargeInAction.INTERRUPT
        stopped = await next_event(call.events, BotSpeakingStopped)
        assert stopped.interrupted and stopped.turn_id == 0
        # The whole greeting was synthesised at once and queued: only its played part was heard.
        heard = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert heard.turn_id == 0 and long_greeting.startswith(heard.text)
        assert len(heard.text) < len(long_greeting) / 2, heard.text
        said = await next_event(call.events, TranscriptEvent, where=_final_caller)
        assert said.text.startswith("Sorry to interrupt")
        reply = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert "Saturday" in reply.text

    call = run_call(script, greeting=long_greeting)
    assert call.sink.flushes >= 1


def test_a_backchannel_does_not_interrupt_or_start_a_turn() -> None:
    long_greeting = "Hello and welcome. " + "We are glad you called today. " * 5

    async def script(call: Call) -> None:
        await next_event(call.events, BotSpeakingStarted, where=lambda e: e.turn_id == 0)
        await asyncio.sleep(0.3)
        call.caller.say("mm", pcm=espeak_speech("uh huh")[: 32 * 250])  # 250 ms of speech
        pause = await next_event(call.events, BargeInEvent)
        resume = await next_event(call.events, BargeInEvent)
        assert (pause.action, resume.action) == (BargeInAction.PAUSE, BargeInAction.RESUME)
        stopped = await next_event(call.events, BotSpeakingStopped, timeout=15)
        assert not stopped.interrupted
        await asyncio.sleep(1.0)

    call = run_call(script, greeting=long_greeting)
    assert call.stt.calls == 0  # no turn was taken from the "mm"


def test_words_after_the_end_of_turn_join_the_question_being_transcribed() -> None:
    """The caller pauses longer than the end-of-turn silence, then goes on: one question, one answer."""

    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("When are you open", pause_after_ms=650)
        call.caller.say("on Saturday?")
        said = await next_event(call.events, TranscriptEvent, where=_final_caller)
        assert said.text == "When are you open on Saturday?"
        reply = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert "Saturday we open from nine to one" in reply.text

    call = run_call(script, stt_delay_s=0.6, early_stt=False)
    assert sum("Saturday we open" in s for s in call.tts.sentences) == 1  # answered once


def test_a_reply_prepared_during_a_pause_is_dropped_when_the_caller_goes_on() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        call.caller.say("How much is standard delivery", pause_after_ms=60)  # + 240 ms trailing: a pause
        call.caller.say("no, when are you open on Saturday?")
        reply = await next_event(call.events, TranscriptEvent, where=_assistant)
        assert "Saturday we open from nine to one" in reply.text
        assert "delivery" not in reply.text

    call = run_call(script)
    prepared = [s for s in call.tts.sentences if "delivery" in s]
    assert prepared, "the reply to the first words was prepared during the pause"
    assert call.stt.calls >= 2
