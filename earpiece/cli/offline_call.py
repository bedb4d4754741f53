"""A call session driven from this process, with no line and no sound card.

`earpiece selfcheck` and the voice benchmarks (`bench/voice`, `bench/knowledge/during_call.py`)
build the shipped autonomous session, speak into it as a caller would (20 ms frames in real time)
and wait for its turns. The sink counts the speech Earpiece puts into the call and "plays" it at
once, so the next question need not wait for the answer to be heard.

Importing this module loads the engine (seconds): a CLI command imports it when it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS, AudioFrame
from earpiece.core.engine import (
    BotSpeakingStopped,
    EngineEvent,
    StageError,
    TurnMetrics,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.factory import create_session
from earpiece.core.settings import CallMode, Settings

HANG_UP_TIMEOUT_S = 30.0  # the session ends once the caller's frames stop


class CountingSink:
    """The call's sink: counts Earpiece's speech and plays it at once."""

    def __init__(self) -> None:
        self.bytes = 0

    def write(self, pcm: bytes) -> None:
        self.bytes += len(pcm)

    def flush(self) -> None:
        pass

    def pending_ms(self) -> float:
        return 0.0


class RealtimeCaller:
    """The caller's side of the call: 20 ms frames in real time, silence but for the speech queued
    by `say()`, until `hang_up()`. The session tests' scripted caller is built on it."""

    def __init__(self) -> None:
        self._queue: deque[tuple[bytes, Callable[[], None] | None]] = deque()
        self._speech = b""
        self._ended = asyncio.Event()

    def say(self, pcm: bytes, started: Callable[[], None] | None = None) -> None:
        """Speak `pcm` (16-bit mono at the call's rate) once what was queued before is said;
        `started` is called as its first frame is about to go out."""
        self._queue.append((pcm, started))

    @property
    def speaking(self) -> bool:
        """Whether speech is left to send after the frame last sent."""
        return bool(self._speech)

    def hang_up(self) -> None:
        self._ended.set()

    async def frames(self) -> AsyncIterator[AudioFrame]:
        next_at = time.monotonic()
        while not self._ended.is_set():
            if not self._speech and self._queue:
                self._speech, started = self._queue.popleft()
                if started is not None:
                    started()
            pcm, self._speech = self._speech[:BYTES_PER_FRAME], self._speech[BYTES_PER_FRAME:]
            yield AudioFrame(pcm.ljust(BYTES_PER_FRAME, b"\0"), time.monotonic())
            next_at += FRAME_MS / 1000
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))


@dataclass(slots=True)
class OfflineCall:
    """A running session with its caller, its sink and a queue of its events."""

    caller: RealtimeCaller
    sink: CountingSink
    events: asyncio.Queue[EngineEvent]

    async def greeted(self) -> None:
        """Wait until the greeting has been spoken."""
        await self._next(lambda e: isinstance(e, BotSpeakingStopped) and e.turn_id == 0)

    async def next_turn(self) -> TurnMetrics:
        """The metrics of the next caller turn the session answered."""
        event = await self._next(lambda e: isinstance(e, TurnMetricsEvent) and e.metrics.turn_id > 0)
        assert isinstance(event, TurnMetricsEvent)
        return event.metrics

    async def _next(self, wanted: Callable[[EngineEvent], bool]) -> EngineEvent:
        while True:
            event = await self.events.get()
            if isinstance(event, StageError):
                raise RuntimeError(f"{event.stage} failed: {event.message}")
            if wanted(event):
                return event


@contextlib.asynccontextmanager
async def offline_call(
    settings: Settings, stack: VoiceStack, **session_options: Any
) -> AsyncIterator[OfflineCall]:
    """An autonomous session from the shipped factory (`session_options` as `create_session`
    takes them), running until the block is left; then the caller hangs up and the call ends."""
    sink = CountingSink()
    session = create_session(settings, stack, mode=CallMode.AUTONOMOUS, sink=sink, **session_options)
    call = OfflineCall(RealtimeCaller(), sink, session.events.queue())
    runner = asyncio.create_task(session.run(call.caller.frames()))
    try:
        yield call
    finally:
        call.caller.hang_up()
        await asyncio.wait_for(runner, HANG_UP_TIMEOUT_S)
