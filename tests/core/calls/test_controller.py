"""The call controller against a fake phone line (no SIP peers): transfer policy with the apology
when a transfer fails, shutdown (reply finished, goodbye, hang-up), busy refusals, one record per
call. The sessions are real; the recogniser and voice are the session tests' stand-ins, the caller
speaks real (eSpeak NG) frames in real time."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.calls.controller import CallController
from earpiece.core.calls.events import (
    CallProblem,
    CallRecorded,
    ControllerEvent,
    SessionEvent,
    TransferChanged,
    TransferStatus,
)
from earpiece.core.calls.journal import IN_FLIGHT
from earpiece.core.calls.line import (
    CallConnected,
    CallDisconnected,
    CallOffered,
    DigitPressed,
    TransferUpdate,
)
from earpiece.core.calls.policy import CallPolicy
from earpiece.core.calls.record_format import Outcome, RecordSource
from earpiece.core.engine import BotSpeakingStopped, ModeChanged, TranscriptEvent, VoiceStack
from earpiece.core.engine.answering import Answerer
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import AccountSettings, CallMode, CallSettings, Settings, VadSettings
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    ToneTextToSpeech,
    WordRetriever,
)

NO_TRANSFER = "I'm sorry, nobody is free to take your call. Can I help you myself?"
GOODBYE = "We are closing the line now. Goodbye!"
ACCOUNT = AccountSettings(id="line", username="bot", domain="pbx.example", handover_uri="")


@dataclass
class _Stats:
    frames_in: int = 0
    frames_out: int = 0
    max_gap_ms: float = 0.0
    callback_us_mean: float = 0.0


class _Headset:
    """The agent's side of a call without a headset: nothing heard, nothing played."""

    def __init__(self) -> None:
        self.sink = PlaybackSink()

    async def frames(self) -> AsyncIterator[AudioFrame]:
        await asyncio.Event().wait()
        yield AudioFrame(b"", 0.0)  # never reached


class FakeMedia:
    def __init__(self) -> None:
        self.caller = ScriptedCaller()
        self.sink = PlaybackSink()
        self.agent = _Headset()

    def frames(self) -> AsyncIterator[AudioFrame]:
        return self.caller.frames()

    def stats(self) -> _Stats:
        return _Stats()

    def reset_max_gap(self) -> None:
        pass


class FakeLine:
    """Records the commands; a hang-up ends the call like the far end's BYE would."""

    def __init__(self) -> None:
        self.commands: list[tuple[str, ...]] = []
        self.media: dict[str, FakeMedia] = {}
        self.transfer_error: Exception | None = None
        self.controller: CallController | None = None

    def _done(self, *command: str, error: Exception | None = None) -> Future[None]:
        self.commands.append(command)
        future: Future[None] = Future()
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
        return future

    def answer(self, call_id: str) -> Future[None]:
        return self._done("answer", call_id)

    def reject(self, call_id: str) -> Future[None]:
        return self._done("reject", call_id)

    def hangup(self, call_id: str) -> Future[None]:
        assert self.controller is not None
        self.media[call_id].caller.hang_up()
        bye = CallDisconnected(call_id, 200, "hung up here", False, time.monotonic())
        asyncio.get_running_loop().call_soon(self.controller.handle, bye)
        return self._done("hangup", call_id)

    def transfer(self, call_id: str, destination: str) -> Future[None]:
        return self._done("transfer", call_id, destination, error=self.transfer_error)

    def call_audio(self, call_id: str) -> FakeMedia:
        return self.media.setdefault(call_id, FakeMedia())


class FakeStacks:
    def __init__(self, line: FakeLine) -> None:
        self.line = line
        self.voices: list[ToneTextToSpeech] = []
        self.error: Exception | None = None  # raised instead of a stack: the models did not load

    async def new_stack(self, kb_name: str) -> VoiceStack:
        if self.error is not None:
            raise self.error
        media = self.line.media  # the call asked for its stack is the last one offered
        caller = next(reversed(media.values())).caller
        self.voices.append(ToneTextToSpeech())
        answerer = Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3)
        stt = HeardSpeechToText(lambda: caller.last_said)
        return VoiceStack(stt, self.voices[-1], answerer, VadSettings(end_of_turn_ms=500))

    def spoken(self) -> list[str]:
        return [s for voice in self.voices for s in voice.sentences]


class Line:
    """A controller on a fake line, with its events in a queue."""

    def __init__(self, tmp_path: Path, policy: CallPolicy, grace_s: float = 15.0) -> None:
        limits = CallSettings(no_transfer=NO_TRANSFER, goodbye=GOODBYE, connect_wait_s=0.5,
                              hangup_timeout_s=2.0, far_end_tail_s=0.0, shutdown_grace_s=grace_s)
        settings = Settings(calls=limits)
        self.line = FakeLine()
        self.stacks = FakeStacks(self.line)
        self.calls_dir = tmp_path / "calls"
        policy = replace(policy, calls_dir=self.calls_dir)
        self.controller = CallController(settings, self.line, self.stacks, policy,
                                         accounts=lambda i: ACCOUNT if i == ACCOUNT.id else None)
        self.line.controller = self.controller
        self.events: asyncio.Queue[ControllerEvent] = asyncio.Queue()
        self.controller.events.subscribe(self.events.put_nowait)

    def connect(self, call_id: str = "c1") -> FakeMedia:
        media = self.line.call_audio(call_id)
        now = time.monotonic()
        self.controller.handle(CallOffered(call_id, ACCOUNT.id, f"sip:{call_id}@caller", "Caller", now))
        self.controller.handle(CallConnected(call_id, ACCOUNT.id, f"sip:{call_id}@caller", now + 0.01))
        return media

    async def next(self, kind: type, where: Callable[[object], bool] = bool, timeout: float = 15.0) -> object:
        deadline = time.monotonic() + timeout
        while True:
            event = await asyncio.wait_for(self.events.get(), max(0.01, deadline - time.monotonic()))
            if isinstance(event, SessionEvent) and kind is not SessionEvent and isinstance(event.event, kind):
                if where(event.event):
                    return event.event
            elif isinstance(event, kind) and where(event):
                return event

    def record(self, call_id: str = "c1") -> dict[str, Any]:
        record: dict[str, Any] = json.loads((self.calls_dir / f"{call_id}.json").read_text())
        return record


AGENT = CallPolicy(source=RecordSource.AGENT, answer=True, account_id=ACCOUNT.id, mode=CallMode.AUTONOMOUS,
                   transfer_to="sip:team@pbx.example")
DESKTOP = CallPolicy(mode=CallMode.AUTONOMOUS)


def run(tmp_path: Path, policy: CallPolicy, script: Callable[[Line], Awaitable[None]],
        grace_s: float = 15.0) -> Line:
    async def main() -> Line:
        line = Line(tmp_path, policy, grace_s)
        await asyncio.wait_for(script(line), 60)
        return line

    return asyncio.run(main())


async def greeted(line: Line) -> None:
    await line.next(BotSpeakingStopped, lambda e: e.turn_id == 0)  # type: ignore[attr-defined]


async def hang_up(line: Line, media: FakeMedia, call_id: str = "c1") -> None:
    media.caller.hang_up()
    bye = CallDisconnected(call_id, 200, "hung up by the other party", False, time.monotonic())
    line.controller.handle(bye)
    await line.next(CallRecorded, lambda e: e.call_id == call_id)  # type: ignore[attr-defined]
    assert not line.controller.active_calls


def test_a_refused_transfer_is_apologised_for_and_the_call_goes_on(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        media = line.connect()
        await greeted(line)
        line.controller.handle(DigitPressed("c1", "0"))
        started = await line.next(TransferChanged)
        assert (started.status, started.destination) == (  # type: ignore[attr-defined]
            TransferStatus.STARTED, "sip:team@pbx.example")
        assert ("transfer", "c1", "sip:team@pbx.example") in line.line.commands
        line.controller.handle(TransferUpdate("c1", 486, "Busy Here", True))
        failed = await line.next(TransferChanged)
        assert failed.status is TransferStatus.FAILED and "486" in failed.detail  # type: ignore[attr-defined]
        apology = await line.next(TranscriptEvent, lambda e: e.text == NO_TRANSFER)  # type: ignore[attr-defined]
        assert apology is not None
        assert not [c for c in line.line.commands if c[0] == "hangup"], "the call must go on"
        await hang_up(line, media)

    line = run(tmp_path, AGENT, script)
    assert NO_TRANSFER.split(".")[0] in " ".join(line.stacks.spoken())
    record = line.record()
    assert record["outcome"] == "transfer_failed" and record["source"] == "agent"
    (attempt,) = record["transfers"]
    assert attempt["destination"] == "sip:team@pbx.example" and attempt["code"] == 486
    assert NO_TRANSFER in [t["text"] for t in record["transcript"]]
    assert not list((line.calls_dir / IN_FLIGHT).glob("*.json"))
    summary = line.calls_dir / "c1.summary"  # made in the background once the call is over
    deadline = time.monotonic() + 20
    while not summary.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "transfer" in summary.read_text().lower()


def test_the_desktop_without_a_handover_address_apologises_instead_of_leaving_silence(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        media = line.connect()
        await greeted(line)
        line.controller.handle(DigitPressed("c1", "0"))
        failed = await line.next(TransferChanged)
        assert failed.status is TransferStatus.FAILED  # type: ignore[attr-defined]
        assert "no transfer destination" in failed.detail  # type: ignore[attr-defined]
        await line.next(TranscriptEvent, lambda e: e.text == NO_TRANSFER)  # type: ignore[attr-defined]
        await hang_up(line, media)

    line = run(tmp_path, DESKTOP, script)
    assert not [c for c in line.line.commands if c[0] == "transfer"]
    record = line.record()
    assert record["outcome"] == "transfer_failed" and record["source"] == "desktop"


def test_a_transfer_that_cannot_be_sent_is_apologised_for(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        line.line.transfer_error = RuntimeError("PJSIP_EINVALIDURI")
        media = line.connect()
        await greeted(line)
        line.controller.handle(DigitPressed("c1", "0"))
        failed = await line.next(TransferChanged, lambda e: e.status is TransferStatus.FAILED)  # type: ignore[attr-defined]
        assert "PJSIP_EINVALIDURI" in failed.detail  # type: ignore[attr-defined]
        await line.next(TranscriptEvent, lambda e: e.text == NO_TRANSFER)  # type: ignore[attr-defined]
        await hang_up(line, media)

    run(tmp_path, AGENT, script)


def test_a_transfer_that_succeeds_is_recorded_as_transferred(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        media = line.connect()
        await greeted(line)
        line.controller.handle(DigitPressed("c1", "0"))
        await line.next(TransferChanged, lambda e: e.status is TransferStatus.STARTED)  # type: ignore[attr-defined]
        line.controller.handle(TransferUpdate("c1", 100, "Trying", False))
        line.controller.handle(TransferUpdate("c1", 200, "OK", True))
        await line.next(TransferChanged, lambda e: e.status is TransferStatus.SUCCEEDED)  # type: ignore[attr-defined]
        await hang_up(line, media)

    line = run(tmp_path, AGENT, script)
    assert NO_TRANSFER not in " ".join(line.stacks.spoken())
    assert line.record()["outcome"] == "transferred"


async def _shut_down_while_answering(line: Line) -> None:
    line.connect()
    await greeted(line)
    line.line.media["c1"].caller.say("When are you open on Saturday?")
    await line.next(TranscriptEvent, lambda e: e.final and e.speaker == "caller")  # type: ignore[attr-defined]
    await line.controller.shutdown()  # while the answer is being prepared


def test_shutdown_lets_the_answer_finish_then_says_goodbye_hangs_up_and_records(tmp_path: Path) -> None:
    line = run(tmp_path, AGENT, _shut_down_while_answering)
    spoken = " ".join(line.stacks.spoken())
    assert spoken.index("Saturday we open") < spoken.index("closing the line"), spoken
    assert ("hangup", "c1") in line.line.commands
    record = line.record()
    assert record["outcome"] == "ended_at_shutdown" and record["end_reason"] == "shutdown"
    texts = [t["text"] for t in record["transcript"]]
    assert GOODBYE in texts and any("Saturday we open" in t for t in texts)
    assert not list((line.calls_dir / IN_FLIGHT).glob("*.json"))


def test_an_answer_longer_than_the_grace_is_cut_by_the_hang_up_without_goodbye(tmp_path: Path) -> None:
    line = run(tmp_path, AGENT, _shut_down_while_answering, grace_s=0.0)
    assert GOODBYE not in " ".join(line.stacks.spoken())
    assert ("hangup", "c1") in line.line.commands
    assert line.record()["outcome"] == "ended_at_shutdown"


def test_a_second_stop_request_ends_calls_without_the_goodbye(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        line.connect()
        await greeted(line)
        line.controller.hurry()
        await line.controller.shutdown()

    line = run(tmp_path, AGENT, script)
    assert GOODBYE not in " ".join(line.stacks.spoken())
    assert ("hangup", "c1") in line.line.commands
    assert line.record()["outcome"] == "ended_at_shutdown"


def test_while_closing_and_when_full_calls_are_refused_busy(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        now = time.monotonic()
        line.controller.handle(CallOffered("ring1", ACCOUNT.id, "sip:a@b", "", now))
        line.controller.handle(CallOffered("ring2", ACCOUNT.id, "sip:c@d", "", now))  # over max_calls=1
        assert ("reject", "ring2") in line.line.commands and ("answer", "ring1") not in line.line.commands
        assert (line.calls_dir / IN_FLIGHT / "ring1.json").exists()
        await line.controller.shutdown()  # ring1 never connects within connect_wait_s
        line.controller.handle(CallOffered("late", ACCOUNT.id, "sip:e@f", "", now))

    policy = replace(AGENT, max_calls=1, answer_delay_s=5.0)
    line = run(tmp_path, policy, script)
    assert [c for c in line.line.commands if c[0] == "reject"] == [("reject", "ring2"), ("reject", "ring1"),
                                                                     ("reject", "late")]
    assert not list((line.calls_dir / IN_FLIGHT).glob("*.json"))
    assert not list(line.calls_dir.glob("*.json")), "nothing was said: no record"


def test_a_call_switched_to_copilot_keeps_one_record_of_both_modes(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        media = line.connect()
        await greeted(line)
        line.controller.handle(DigitPressed("c1", "0"))
        await line.next(TranscriptEvent, lambda e: e.text == NO_TRANSFER)  # type: ignore[attr-defined]
        line.controller.set_mode("c1", CallMode.COPILOT)
        await line.next(ModeChanged, lambda e: e.mode == "copilot")  # type: ignore[attr-defined]
        media.caller.say("When are you open on Saturday?")
        await line.next(TranscriptEvent, lambda e: e.final and e.speaker == "caller")  # type: ignore[attr-defined]
        await hang_up(line, media)

    line = run(tmp_path, DESKTOP, script)
    record = line.record()
    assert record["mode"] == "copilot"
    texts = [t["text"] for t in record["transcript"]]
    assert NO_TRANSFER in texts and "When are you open on Saturday?" in texts, "the record lost a session"


MODELS_MISSING = "the speech models are not installed"


def test_the_agent_hangs_up_a_call_it_has_no_ai_for_and_records_why(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        line.stacks.error = FileNotFoundError(MODELS_MISSING)
        line.connect()
        problem = await line.next(CallProblem)
        assert MODELS_MISSING in problem.message  # type: ignore[attr-defined]
        recorded = await line.next(CallRecorded)
        assert recorded.outcome is Outcome.AI_UNAVAILABLE  # type: ignore[attr-defined]

    line = run(tmp_path, AGENT, script)
    assert ("hangup", "c1") in line.line.commands, "nobody else is on the call"
    record = line.record()
    assert record["outcome"] == "ai_unavailable" and record["sip"]["answered"]
    assert any(MODELS_MISSING in note for note in record["notes"]) and not record["transcript"]


def test_a_desktop_call_goes_on_without_its_ai_and_is_recorded_as_ai_unavailable(tmp_path: Path) -> None:
    async def script(line: Line) -> None:
        line.stacks.error = FileNotFoundError(MODELS_MISSING)
        media = line.connect()
        await line.next(CallProblem)  # the controller's task has ended: it would have hung up by now
        assert line.record()["outcome"] == "ai_unavailable", "recorded while the person talks on"
        assert not [c for c in line.line.commands if c[0] == "hangup"], "a person is on the call"
        await hang_up(line, media)  # the person ends the call: the record is rewritten

    line = run(tmp_path, DESKTOP, script)
    record = line.record()
    assert record["outcome"] == "ai_unavailable"
    assert record["sip"]["end_reason"] == "hung up by the other party"


@pytest.mark.parametrize("days_old", [200, 10])
def test_start_applies_retention_and_records_calls_lost_in_a_crash(tmp_path: Path, days_old: int) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    started = time.time() - days_old * 86_400
    old = {"call_id": "old", "mode": "autonomous", "started_at": _iso(started), "duration_s": 1.0}
    (calls / "old.json").write_text(json.dumps(old))
    (calls / IN_FLIGHT).mkdir()
    (calls / IN_FLIGHT / "lost.json").write_text(json.dumps(
        {"call_id": "lost", "pid": 2**22 + 7, "account_id": "line", "remote_uri": "sip:x@y",
         "display_name": "", "knowledge_base": "sample", "source": "agent", "offered_at": time.time() - 5,
         "answered_at": time.time() - 4}))

    async def main() -> list[Path]:
        return await Line(tmp_path, AGENT).controller.start()

    (lost,) = asyncio.run(main())
    record = json.loads(lost.read_text())
    assert record["outcome"] == "lost_in_crash" and record["sip"]["remote_uri"] == "sip:x@y"
    assert (calls / "old.json").exists() == (days_old < 90)


def _iso(timestamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).isoformat()
