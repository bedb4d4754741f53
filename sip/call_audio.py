"""A call's audio as core/ sees it: an async stream of incoming frames and a sink for reply audio,
for the call itself and for the agent's side (headset microphone in, a sink heard in the headset only).

Nothing here touches pjsua2. `_deliver` and `_next_outgoing` are called by the bridge port on PJSIP's
conference clock thread every 20 ms, so they only copy and enqueue (no waiting on the GIL-heavy side).
"""

from __future__ import annotations

import asyncio
import collections
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from earpiece.core.audio.frames import BYTES_PER_FRAME, SAMPLE_RATE, AudioFrame

log = logging.getLogger(__name__)

SILENCE = bytes(BYTES_PER_FRAME)
_BYTES_PER_MS = SAMPLE_RATE * 2 / 1000


def _check_pcm16(pcm: bytes) -> None:
    if len(pcm) % 2:
        raise ValueError(f"PCM16 audio has an even number of bytes, got {len(pcm)}")


class PcmSink:
    """The `AudioSink` of a call: reply audio queued here is played into the call frame by frame."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._lock = threading.Lock()

    def write(self, pcm: bytes) -> None:
        _check_pcm16(pcm)
        with self._lock:
            self._buffer += pcm

    def flush(self) -> None:
        with self._lock:
            self._buffer.clear()

    def pending_ms(self) -> float:
        with self._lock:
            return len(self._buffer) / _BYTES_PER_MS

    def read_frame(self, size: int = BYTES_PER_FRAME) -> bytes | None:
        """The next `size` bytes (zero-padded at the end of the audio), or None when nothing is queued."""
        with self._lock:
            if not self._buffer:
                return None
            chunk = bytes(self._buffer[:size])
            del self._buffer[:size]
        return chunk if len(chunk) == size else chunk + bytes(size - len(chunk))


class HeadsetSink(PcmSink):
    """Audio for the agent's ears only (a whisper): played into the headset speaker, never into the call.

    `connected` is set on the SIP thread while a headset speaker listens. Without one the audio is
    dropped, and that is logged once per sink.
    """

    def __init__(self, call_id: str) -> None:
        super().__init__()
        self.call_id = call_id
        self.connected = False
        self._dropping_logged = False

    def write(self, pcm: bytes) -> None:
        if self.connected:
            super().write(pcm)
            return
        _check_pcm16(pcm)
        if not self._dropping_logged:
            self._dropping_logged = True
            log.warning("call %s: no headset speaker, audio meant for the agent is dropped", self.call_id)

    def disconnect(self) -> None:
        """SIP thread: no speaker listens any more; what is queued would never play."""
        self.connected = False
        self.flush()


class FrameStream(AsyncIterator[AudioFrame]):
    """Incoming frames of one call, bound to one asyncio loop; ends when the call ends.

    If the consumer falls behind by more than `max_queued` frames the oldest are dropped (counted
    in `dropped`): live audio is worth more than old audio.
    """

    def __init__(
        self, loop: asyncio.AbstractEventLoop, max_queued: int, on_close: Callable[[], None]
    ) -> None:
        self._loop = loop
        self._queue: collections.deque[AudioFrame | None] = collections.deque()
        self._max_queued = max_queued
        self._wakeup: asyncio.Future[None] | None = None
        self._on_close = on_close
        self._ended = False
        self.dropped = 0

    def _push(self, frame: AudioFrame | None) -> None:
        """Any thread."""
        try:
            self._loop.call_soon_threadsafe(self._put, frame)
        except RuntimeError:  # the loop is closed: nobody listens any more
            self._on_close()

    def _put(self, frame: AudioFrame | None) -> None:
        self._queue.append(frame)
        if len(self._queue) > self._max_queued and self._queue[0] is not None:
            self._queue.popleft()
            self.dropped += 1
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def __aiter__(self) -> FrameStream:
        return self

    async def __anext__(self) -> AudioFrame:
        while not self._queue:
            if self._ended:
                raise StopAsyncIteration
            self._wakeup = self._loop.create_future()
            await self._wakeup
        frame = self._queue.popleft()
        if frame is None:
            self._ended = True
            raise StopAsyncIteration
        return frame

    def pending(self) -> int:
        return len(self._queue)

    async def aclose(self) -> None:
        """Stop receiving (the call goes on)."""
        self._ended = True
        self._queue.clear()
        self._on_close()


@dataclass(frozen=True, slots=True)
class AudioStats:
    frames_in: int
    frames_out: int  # frames of reply audio played into the call
    max_gap_ms: float  # largest interval between two consecutive incoming frames
    callback_us_mean: float  # Python time per bridge callback (both directions)


SinkT = TypeVar("SinkT", bound=PcmSink)


class AudioChannel(Generic[SinkT]):
    """Both directions of one bridge port's audio: frames it receives (streams, listeners, stats) and
    a sink it plays out. Thread-safe; outlives the call's media (hold, re-INVITE)."""

    def __init__(self, sink: SinkT) -> None:
        self.sink = sink
        self._lock = threading.Lock()
        self._streams: list[FrameStream] = []
        self._listeners: list[Callable[[AudioFrame], None]] = []
        self._closed = False
        self._frames_in = 0
        self._frames_out = 0
        self._last_in: float | None = None
        self._max_gap = 0.0
        self._callback_s = 0.0
        self._callbacks = 0

    def frames(
        self, loop: asyncio.AbstractEventLoop | None = None, max_queued_s: float = 10.0
    ) -> FrameStream:
        """A new async iterator of incoming frames delivered on `loop` (default: the running loop)."""
        stream = FrameStream(loop or asyncio.get_running_loop(), int(max_queued_s * 50), lambda: None)
        stream._on_close = lambda: self._remove_stream(stream)
        with self._lock:
            if self._closed:
                stream._put(None)
            else:
                self._streams.append(stream)
        return stream

    def add_frame_listener(self, listener: Callable[[AudioFrame], None]) -> Callable[[], None]:
        """Call `listener(frame)` on the audio clock thread for every incoming frame (keep it tiny).

        Returns a function that removes the listener.
        """
        with self._lock:
            self._listeners.append(listener)

        def remove() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return remove

    def stats(self) -> AudioStats:
        with self._lock:
            mean = self._callback_s / self._callbacks * 1e6 if self._callbacks else 0.0
            return AudioStats(self._frames_in, self._frames_out, self._max_gap * 1000, mean)

    def reset_max_gap(self) -> None:
        """Start a new measurement window (the interval running now still counts)."""
        with self._lock:
            self._max_gap = 0.0

    def _remove_stream(self, stream: FrameStream) -> None:
        with self._lock:
            if stream in self._streams:
                self._streams.remove(stream)

    def _deliver(self, pcm: bytes, started: float) -> None:
        """Clock thread: one incoming frame (`started` = time.monotonic() when the callback began)."""
        frame = AudioFrame(pcm, started)
        with self._lock:
            if self._closed:
                return
            self._frames_in += 1
            if self._last_in is not None:
                self._max_gap = max(self._max_gap, started - self._last_in)
            self._last_in = started
            streams = tuple(self._streams)
            listeners = tuple(self._listeners)
        for stream in streams:
            stream._push(frame)
        for listener in listeners:
            try:
                listener(frame)
            except Exception:
                log.exception("audio frame listener failed")
        self._account(started)

    def _next_outgoing(self, size: int, started: float) -> bytes | None:
        """Clock thread: the next frame of reply audio, or None for silence."""
        pcm = self.sink.read_frame(size)
        if pcm is not None:
            with self._lock:
                self._frames_out += 1
        self._account(started)
        return pcm

    def _account(self, started: float) -> None:
        elapsed = time.monotonic() - started
        with self._lock:
            self._callback_s += elapsed
            self._callbacks += 1

    def _close(self) -> None:
        """The call ended: every stream finishes."""
        with self._lock:
            self._closed = True
            streams, self._streams = self._streams, []
            self._listeners.clear()
        for stream in streams:
            stream._push(None)


class CallAudio(AudioChannel[PcmSink]):
    """One call's audio: what the remote party says (`frames`) and what is played to them (`sink`).

    `agent` is the agent's side of the same call: `agent.frames()` is the headset microphone (what the
    agent says, without the caller), `agent.sink` plays into the headset only. Without a headset the
    agent's frames stream yields nothing and ends with the call.
    """

    def __init__(self, call_id: str) -> None:
        super().__init__(PcmSink())
        self.call_id = call_id
        self.agent: AudioChannel[HeadsetSink] = AudioChannel(HeadsetSink(call_id))

    def _close(self) -> None:
        super()._close()
        self.agent._close()
