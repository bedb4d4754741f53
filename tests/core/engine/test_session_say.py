"""`CallSession.say()`: the one public way to speak into a call. It goes through the session's
own path (after the reply in progress, into the sink, the history and the call record)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from earpiece.core.engine import BotSpeakingStopped, Speaker, TranscriptEvent, TransferRequested
from earpiece.core.llm.guard import HANDOVER_REPLY
from tests.core.engine.harness import next_event
from tests.core.engine.test_session_autonomous import Call, greeted, run_call

APOLOGY = "I'm sorry, I couldn't reach a colleague. Would you like me to try a person again?"


def test_said_text_is_played_recorded_and_is_the_context_of_the_next_turn() -> None:
    async def script(call: Call) -> None:
        await greeted(call)
        before = len(call.sink.written)
        heard = await call.session.say(APOLOGY)
        assert heard == APOLOGY
        assert len(call.sink.written) > before, "say() wrote nothing into the call"
        line = await next_event(call.events, TranscriptEvent, where=lambda e: e.speaker is Speaker.ASSISTANT)
        assert line.text == APOLOGY
        # "yes" only means "put me through" after an offer of a person: the offer is in the history.
        call.caller.say("Yes please.")
        transfer = await next_event(call.events, TransferRequested)
        assert transfer.said == "Yes please."

    call = run_call(script)
    assert HANDOVER_REPLY in call.tts.sentences
    record = json.loads(Path(call.record_path).read_text())
    assert APOLOGY in [line["text"] for line in record["transcript"]]


def test_say_waits_for_the_reply_in_progress() -> None:
    greeting = "Hello and welcome. We are glad you called today."

    async def script(call: Call) -> None:
        said = asyncio.create_task(call.session.say(APOLOGY))
        stopped = await next_event(call.events, BotSpeakingStopped)
        assert stopped.turn_id == 0 and not stopped.interrupted, "say() cut the greeting"
        assert await said == APOLOGY

    call = run_call(script, greeting=greeting)
    spoken = " ".join(call.tts.sentences)
    assert spoken.index("glad you called") < spoken.index("couldn't reach")


def test_say_outside_a_running_session_is_refused() -> None:
    async def main() -> None:
        call = Call()
        with pytest.raises(RuntimeError, match="running"):
            await call.session.say(APOLOGY)

    asyncio.run(main())
