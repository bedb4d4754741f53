"""One call on the asyncio loop: frames in, reply audio and typed events out.

The session owns the call's lifecycle, its events and its record; the work is done by parts:

    CallSession (this module: run / stop / say / press_dtmf / switch_mode, events, record)
     ├─ Listener per stream (listening.py)   frames -> VAD -> turns (timer or turn model) ->
     │                                       transcripts, speculative at each pause
     ├─ the current Policy (policy.py)       what turns lead to, switchable mid-call:
     │    ├─ AutonomousPolicy (autonomous.py) answers aloud through the Voice
     │    └─ CopilotPolicy (copilot.py)       suggestion cards (and a whisper) for the agent
     └─ Voice (reply.py)                     Earpiece's speech into the call, one `Reply` at a
                                             time: barge-in, interruption, what was heard

Nothing outside the session writes to the call's sink: speak with `say()`. The call's record
(record.py) is the session's own unless it is given one (`recorder=`): the call controller gives
every session of a call the same one and saves it itself, once the call is over.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Coroutine
from datetime import datetime
from pathlib import Path
from typing import Any

from earpiece.core.audio.frames import AudioFrame, AudioSink
from earpiece.core.engine.autonomous import AutonomousPolicy
from earpiece.core.engine.bus import EventBus
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.copilot import CopilotPolicy
from earpiece.core.engine.events import CallEnded, EngineEvent, ModeChanged, Speaker, StageError
from earpiece.core.engine.listening import Listener
from earpiece.core.engine.policy import CallContext, Policy
from earpiece.core.engine.record import CallRecorder
from earpiece.core.engine.reply import Voice
from earpiece.core.settings import CallMode

__all__ = ["CallSession", "EngineConfig", "VoiceStack"]

log = logging.getLogger(__name__)


class CallSession:
    def __init__(
        self,
        stack: VoiceStack,
        *,
        mode: CallMode = CallMode.AUTONOMOUS,
        sink: AudioSink | None = None,
        agent_sink: AudioSink | None = None,
        config: EngineConfig | None = None,
        call_id: str | None = None,
        recorder: CallRecorder | None = None,
    ) -> None:
        """`recorder`: the call's record, kept by its owner (the call controller), who saves it; the
        session only adds to it, on its clock and after its last turn. None: the session keeps a
        record of its own and saves it when it ends."""
        self.stack = stack
        self.config = config or EngineConfig()
        self.call_id = call_id or f"{datetime.now():%Y%m%d-%H%M%S}-{uuid.uuid4().hex[:6]}"
        self.events = EventBus()
        self._owns_record = recorder is None
        self.recorder = recorder or CallRecorder(self.call_id, str(mode))
        self.recorder.mode = str(mode)
        self.events.subscribe(self.recorder.observe)
        self._agent_sink = agent_sink
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ctx = CallContext(stack, self.config, self.events, self._spawn, self._finish,
                                started_at=self.recorder.origin, turns_before=self.recorder.last_turn_id())
        self._voice = Voice(stack.tts, sink, stack.vad, self._publish, self._spawn) if sink else None
        self._policy = self._new_policy(mode)
        self.mode = mode
        self._finished = asyncio.Event()
        self._end_reason = "remote"
        self._running = False

    # ---- public control (call these on the session's loop) ----

    def press_dtmf(self, digit: str) -> None:
        """A DTMF digit from the caller; `transfer_digit` asks for a person (autonomous mode)."""
        self._policy.press_dtmf(digit)

    async def say(self, text: str) -> str:
        """Speak `text` into the call as Earpiece, the way a reply is spoken: after the reply in
        progress, interruptible by the caller (barge-in), into the history and the call record.

        Returns what the caller heard ("" if they cut in before the first words). Call it while
        `run()` is in progress, in autonomous mode; nothing else may write to the call's sink."""
        if not self._running:
            raise RuntimeError("say() needs the session running (call it while run() is in progress)")
        return await self._policy.say(text)

    def switch_mode(self, mode: CallMode) -> None:
        """Go on in `mode` (autonomous needs the call's sink). What the caller said and the old
        mode had not dealt with is taken over by the new one: no question is lost."""
        if mode is self.mode:
            return
        policy = self._new_policy(mode)
        handed = self._policy.leave()
        self._policy, self.mode = policy, mode
        self._publish(ModeChanged(str(mode), tuple(t.id for t in handed), time.monotonic()))
        policy.take_over(handed)

    def stop(self, reason: str = "stopped") -> None:
        """End the session (the call ended elsewhere); `run()` returns soon after."""
        self._finish(reason)

    async def run(
        self, caller: AsyncIterator[AudioFrame], agent: AsyncIterator[AudioFrame] | None = None
    ) -> Path | None:
        """Process the call until its audio ends, a hang-up is requested, or `stop()`. `agent` is
        the agent's headset (copilot transcribes it; autonomous lets its frames pass unheard, so
        pass it whenever the call may be switched to copilot).

        Returns the saved call record (None when the record's owner saves it, or saving failed)."""
        self._running = True
        streams = [(Speaker.CALLER, caller)] + ([(Speaker.AGENT, agent)] if agent is not None else [])
        consumers = [asyncio.create_task(self._listener(s).run(frames)) for s, frames in streams]
        self._policy.start()
        finished = asyncio.create_task(self._finished.wait())
        try:
            await asyncio.wait([consumers[0], finished], return_when=asyncio.FIRST_COMPLETED)
            if consumers[0].done() and consumers[0].exception() is not None:
                self._end_reason = "error"
                log.error("call %s: the audio stream failed", self.call_id, exc_info=consumers[0].exception())
        finally:
            self._running = False
            for task in [*consumers, finished, *self._tasks]:
                task.cancel()
            await asyncio.gather(*consumers, finished, *self._tasks, return_exceptions=True)
        return self._close()

    # ---- plumbing ----

    def _new_policy(self, mode: CallMode) -> Policy:
        if mode is CallMode.AUTONOMOUS:
            if self._voice is None:
                raise ValueError("autonomous mode needs the call's audio sink")
            return AutonomousPolicy(self._ctx, self._voice)
        if mode is CallMode.COPILOT:
            return CopilotPolicy(self._ctx, self._agent_sink)
        raise ValueError("a call session needs mode autonomous or copilot")

    def _listener(self, speaker: Speaker) -> Listener:
        return Listener(speaker, self.stack, self.config, lambda: self._policy, self._publish, self._spawn)

    def _publish(self, event: EngineEvent) -> None:
        self.events.publish(event)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("call %s: a session task failed", self.call_id, exc_info=task.exception())
            self._publish(StageError("engine", repr(task.exception()), 0, time.monotonic()))

    def _finish(self, reason: str) -> None:
        if not self._finished.is_set():
            self._end_reason = reason
            self._finished.set()

    def _close(self) -> Path | None:
        path: Path | None = None
        if self._owns_record:
            try:
                path = self.recorder.save(self._end_reason)
            except OSError:
                log.exception("call %s: could not save the call record", self.call_id)
        self._publish(CallEnded(self._end_reason, str(path or ""), time.monotonic()))
        return path
