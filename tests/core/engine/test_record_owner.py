"""Who writes a call's record: a session built with the caller's recorder (`create_session(...,
recorder=...)`, as the call controller does) adds to it and never saves it; a session on its own
saves its record when it ends."""

from __future__ import annotations

import asyncio
from pathlib import Path

from earpiece.core.engine import BotSpeakingStopped, CallEnded, CallRecorder, TurnMetricsEvent, VoiceStack
from earpiece.core.engine.answering import Answerer
from earpiece.core.engine.factory import create_session
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, Settings
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
    next_event,
)
from tests.core.engine.test_session_autonomous import VAD

QUESTION = "When are you open on Saturday?"


def _call(recorder: CallRecorder | None) -> tuple[Path | None, CallEnded]:
    """A call with one question; the session's return value and its last event."""

    async def main() -> tuple[Path | None, CallEnded]:
        caller = ScriptedCaller()
        stack = VoiceStack(
            HeardSpeechToText(lambda: caller.last_said), ToneTextToSpeech(),
            Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3), VAD,
        )
        session = create_session(Settings(), stack, mode=CallMode.AUTONOMOUS, sink=PlaybackSink(),
                                 call_id="owned", recorder=recorder, greeting="Hello.")
        events = session.events.queue()
        runner = asyncio.create_task(session.run(caller.frames()))
        try:
            await next_event(events, BotSpeakingStopped, where=lambda e: e.turn_id == 0)
            caller.say(QUESTION)
            await next_event(events, TurnMetricsEvent, timeout=20)
        finally:
            caller.hang_up()
            path = await asyncio.wait_for(runner, 10)
        return path, await next_event(events, CallEnded)

    return asyncio.run(main())


def test_a_session_given_the_callers_recorder_fills_it_and_leaves_the_saving_to_its_owner(
    tmp_path: Path,
) -> None:
    recorder = CallRecorder("owned", "autonomous")
    recorder.folder = folder = tmp_path / "owner"
    path, ended = _call(recorder)
    assert path is None and ended.record_path == ""
    assert not folder.exists(), "the session wrote the record its owner keeps"
    said = [(line["speaker"], line["text"]) for line in recorder.transcript]
    assert said[:2] == [("assistant", "Hello."), ("caller", QUESTION)] and len(recorder.turns) == 1
    assert recorder.save("remote") == folder / "owned.json"


def test_a_session_on_its_own_saves_its_record_when_it_ends() -> None:
    path, ended = _call(None)
    assert path is not None and path.name == "owned.json" and ended.record_path == str(path)
    assert QUESTION in path.read_text()
