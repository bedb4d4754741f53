"""A call's mode and knowledge base changed mid-call through the controller, on a fake line with
real sessions: a mode change is the session's own switch (one session, one record, the caller's
question in flight answered or carded exactly once, copilot hearing the agent's headset after the
switch); a change of knowledge base starts a new session that goes on in the same record, on the
same clock and turn numbers, without greeting again. Each call's record is written once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.calls.events import ControllerEvent, SessionEvent, SessionStarted
from earpiece.core.engine import (
    BotSpeakingStarted,
    ModeChanged,
    Speaker,
    SuggestionEvent,
    TranscriptEvent,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine import record as record_module
from earpiece.core.settings import CallMode
from tests.core.calls.test_controller import DESKTOP, FakeMedia, FakeStacks, Line, greeted, hang_up, run
from tests.core.engine.harness import HeardSpeechToText, PlaybackSink, ScriptedCaller

QUESTION = "When are you open on Saturday?"
SECOND = "How much does standard delivery cost?"
AGENT_LINE = "Let me look that up for you."


class _Headset:
    def __init__(self, speaker: ScriptedCaller) -> None:
        self.speaker = speaker
        self.sink = PlaybackSink()

    def frames(self) -> AsyncIterator[AudioFrame]:
        return self.speaker.frames()


class HeadsetMedia(FakeMedia):
    """A call with an agent at a headset: both speak real frames; the recogniser hears whoever
    began speaking last."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[str] = []
        self.caller = ScriptedCaller(self.heard)
        self.person = ScriptedCaller(self.heard)
        self.agent = _Headset(self.person)  # type: ignore[assignment]


class HeadsetStacks(FakeStacks):
    def __init__(self, line: Any) -> None:
        super().__init__(line)
        self.knowledge_bases: list[str] = []
        self.ready = asyncio.Event()  # the models are loaded (cleared: a stack waits for them)
        self.ready.set()

    async def new_stack(self, kb_name: str) -> VoiceStack:
        await self.ready.wait()
        stack = await super().new_stack(kb_name)
        self.knowledge_bases.append(kb_name)
        media = next(reversed(self.line.media.values()))
        assert isinstance(media, HeadsetMedia)
        return replace(stack, stt=HeardSpeechToText(lambda: media.heard[-1]))


class Seen:
    """Every controller event of the call, kept."""

    def __init__(self, line: Line) -> None:
        self.events: list[ControllerEvent] = []
        line.controller.events.subscribe(self.events.append)

    def session(self, kind: type) -> list[Any]:
        return [e.event for e in self.events if isinstance(e, SessionEvent) and isinstance(e.event, kind)]

    def started(self) -> list[SessionStarted]:
        return [e for e in self.events if isinstance(e, SessionStarted)]


@dataclass
class HeadsetCall:
    """Call c1 on the fake line, with an agent at a headset; the controller's events kept."""

    line: Line
    media: HeadsetMedia
    seen: Seen

    @property
    def stacks(self) -> HeadsetStacks:
        assert isinstance(self.line.stacks, HeadsetStacks)
        return self.line.stacks


def headset_call(
    tmp_path: Path, mode: CallMode, script: Callable[[HeadsetCall], Awaitable[None]], **policy: Any
) -> HeadsetCall:
    """Call c1 through a desktop controller starting in `mode`: connected, then played by
    `script`, then hung up by the caller (its record written)."""
    calls: list[HeadsetCall] = []

    async def play(line: Line) -> None:
        media = HeadsetMedia()
        line.line.media["c1"] = media
        line.stacks = line.controller.stacks = HeadsetStacks(line.line)
        call = HeadsetCall(line, media, Seen(line))
        calls.append(call)
        line.connect()  # the session is set up once the script first waits
        await script(call)
        await hang_up(line, media)

    run(tmp_path, replace(DESKTOP, mode=mode, **policy), play)
    (call,) = calls
    return call


def _switch_when_caller_heard(line: Line, mode: CallMode) -> None:
    """Switch at the moment the caller's question is transcribed (before any answer or card)."""

    def on_event(event: ControllerEvent) -> None:
        inner = event.event if isinstance(event, SessionEvent) else None
        if isinstance(inner, TranscriptEvent) and inner.final and inner.speaker is Speaker.CALLER:
            line.controller.set_mode("c1", mode)

    line.controller.events.subscribe(on_event)


@pytest.fixture
def writes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The call ids of every record written (through the one writer of the record format)."""
    written: list[str] = []
    real = record_module.write_record

    def counted(folder: Path, call_id: str, record: dict[str, Any]) -> Path:
        written.append(call_id)
        return real(folder, call_id, record)

    monkeypatch.setattr(record_module, "write_record", counted)
    return written


def _lines(record: dict[str, Any], speaker: str) -> list[str]:
    return [line["text"] for line in record["transcript"] if line["speaker"] == speaker]


def test_autonomous_to_copilot_as_the_question_is_heard_cards_it_once_and_hears_the_agent(
    tmp_path: Path, writes: list[str]
) -> None:
    async def script(call: HeadsetCall) -> None:
        line, media = call.line, call.media
        await greeted(line)
        _switch_when_caller_heard(line, CallMode.COPILOT)
        media.caller.say(QUESTION)
        card = await line.next(SuggestionEvent)
        assert card.question == QUESTION and "nine to one" in card.answer  # type: ignore[attr-defined]
        await asyncio.sleep(1.0)  # an answer aloud, or a second card, would come in this time
        media.person.say(AGENT_LINE)  # copilot hears the headset it did not have at the start
        await line.next(TranscriptEvent, lambda e: e.final and e.speaker is Speaker.AGENT)  # type: ignore[attr-defined]

    call = headset_call(tmp_path, CallMode.AUTONOMOUS, script)
    events = call.seen
    assert [s.mode for s in events.started()] == [CallMode.AUTONOMOUS], "one session for the call"
    (changed,) = events.session(ModeChanged)
    assert changed.mode == "copilot" and changed.handed_over == (1,)
    assert [c.question for c in events.session(SuggestionEvent)] == [QUESTION]
    assert [e.turn_id for e in events.session(BotSpeakingStarted)] == [0], "answered aloud after the switch"
    record = call.line.record()
    assert record["mode"] == "copilot" and record["outcome"] == "caller_hung_up"
    assert _lines(record, "caller") == [QUESTION] and _lines(record, "agent") == [AGENT_LINE]
    assert len(_lines(record, "assistant")) == 1  # the greeting
    (noted,) = [e for e in record["events"] if e["event"] == "ModeChanged"]
    assert noted["mode"] == "copilot" and noted["handed_over"] == [1] and noted["t"] > 0
    assert writes == ["c1"], "the call's record is written once, by the controller"


def test_copilot_to_autonomous_as_the_question_is_heard_answers_it_aloud_once(
    tmp_path: Path, writes: list[str]
) -> None:
    async def script(call: HeadsetCall) -> None:
        _switch_when_caller_heard(call.line, CallMode.AUTONOMOUS)
        call.media.caller.say(QUESTION)
        await call.line.next(TurnMetricsEvent, lambda e: e.metrics.turn_id == 1)  # type: ignore[attr-defined]
        await asyncio.sleep(1.0)  # a second answer would start in this time

    call = headset_call(tmp_path, CallMode.COPILOT, script)
    events = call.seen
    assert [s.mode for s in events.started()] == [CallMode.COPILOT]
    assert [e.turn_id for e in events.session(BotSpeakingStarted)] == [1]
    record = call.line.record()
    assert record["mode"] == "autonomous"
    assert _lines(record, "caller") == [QUESTION]
    (answer,) = _lines(record, "assistant")  # no greeting mid-call, one answer
    assert "nine to one" in answer
    assert writes == ["c1"]


def test_a_new_knowledge_base_restarts_the_session_in_the_same_record_and_clock(
    tmp_path: Path, writes: list[str]
) -> None:
    async def script(call: HeadsetCall) -> None:
        line, media = call.line, call.media
        await greeted(line)
        media.caller.say(QUESTION)
        await line.next(TurnMetricsEvent, lambda e: e.metrics.turn_id == 1)  # type: ignore[attr-defined]
        line.controller.set_knowledge_base("c1", "other")
        await line.next(SessionStarted)
        media.caller.say(SECOND)
        await line.next(TurnMetricsEvent, lambda e: e.metrics.question == SECOND)  # type: ignore[attr-defined]

    call = headset_call(tmp_path, CallMode.AUTONOMOUS, script, knowledge_base="first")
    events = call.seen
    assert len(events.started()) == 2 and call.stacks.knowledge_bases == ["first", "other"]
    assert [e.turn_id for e in events.session(BotSpeakingStarted)] == [0, 1, 2], "greeted once"
    record = call.line.record()
    assert record["knowledge_base"] == "other"
    assert _lines(record, "caller") == [QUESTION, SECOND]
    assistant = _lines(record, "assistant")
    assert len(assistant) == 3 and assistant[0].startswith("Hello"), "greeted once, two answers"
    first, second = record["turns"]
    assert (first["turn_id"], second["turn_id"]) == (1, 2), "turns numbered on across sessions"
    asked = {line["text"]: line["t"] for line in record["transcript"]}
    # The second session's talk times are on the record's clock: after the first answer, before
    # the second question's transcript.
    assert asked[assistant[1]] < second["speech_start_s"] < asked[SECOND]
    assert first["speech_start_s"] < asked[QUESTION]
    assert writes == ["c1"]


def test_a_mode_chosen_while_the_session_is_being_set_up_is_the_one_it_starts_in(
    tmp_path: Path, writes: list[str]
) -> None:
    async def script(call: HeadsetCall) -> None:
        line = call.line
        call.stacks.ready.clear()  # before the session set-up asks for its stack
        await asyncio.sleep(0.1)  # the call's stack is being made (the models are loading)
        line.controller.set_mode("c1", CallMode.COPILOT)
        call.stacks.ready.set()
        started = await line.next(SessionStarted)
        assert started.mode is CallMode.COPILOT  # type: ignore[attr-defined]
        call.media.caller.say(QUESTION)
        await line.next(SuggestionEvent)

    call = headset_call(tmp_path, CallMode.AUTONOMOUS, script)
    record = call.line.record()
    assert record["mode"] == "copilot" and not _lines(record, "assistant"), "greeted in copilot"
    assert writes == ["c1"]


def test_in_autonomous_mode_the_headset_is_not_part_of_the_conversation(
    tmp_path: Path, writes: list[str]
) -> None:
    async def script(call: HeadsetCall) -> None:
        await greeted(call.line)
        call.media.person.say(QUESTION)  # someone near the agent's headset: not the caller
        await asyncio.sleep(4.0)
        call.media.caller.say(SECOND)
        await call.line.next(TurnMetricsEvent, lambda e: e.metrics.turn_id == 1)  # type: ignore[attr-defined]

    call = headset_call(tmp_path, CallMode.AUTONOMOUS, script)
    events = call.seen
    assert [e.turn_id for e in events.session(BotSpeakingStarted)] == [0, 1]
    said = [(e.speaker, e.text) for e in events.session(TranscriptEvent) if e.final]
    assert (Speaker.CALLER, SECOND) in said and all(text != QUESTION for _, text in said)
    assert _lines(call.line.record(), "caller") == [SECOND]
