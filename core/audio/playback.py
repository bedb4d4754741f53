"""`PausableSink`: pause and resume reply audio on top of the plain `AudioSink` contract.

Barge-in pauses playback at speech onset and resumes it if the sound was only a backchannel (see
`barge_in.py`). `AudioSink` has no pause, but it tells how much queued audio is still unplayed
(`pending_ms`): that is the tail of what was written. Pausing keeps that tail and flushes the
sink; resuming writes the tail back, so nothing is lost or repeated (to within one frame).
"""

from __future__ import annotations

from earpiece.core.audio.frames import SAMPLE_RATE, AudioSink

BYTES_PER_MS = SAMPLE_RATE * 2 // 1000  # 32


class PausableSink:
    """An `AudioSink` wrapper with `pause()` / `resume()`. Use from one thread (the asyncio loop)."""

    def __init__(self, sink: AudioSink, *, history_ms: int = 60_000) -> None:
        self._sink = sink
        self._history = bytearray()  # the most recent audio written to the sink
        self._history_limit = history_ms * BYTES_PER_MS
        self._held = bytearray()  # audio waiting for resume()
        self._paused = False

    @property
    def paused(self) -> bool:
        return self._paused

    def write(self, pcm: bytes) -> None:
        if self._paused:
            self._held += pcm
            return
        self._sink.write(pcm)
        self._history += pcm
        if len(self._history) > self._history_limit:
            del self._history[: len(self._history) - self._history_limit]

    def flush(self) -> None:
        """Drop everything: queued, held and remembered (barge-in interrupt, end of reply)."""
        self._sink.flush()
        self._history.clear()
        self._held.clear()
        self._paused = False

    def pending_ms(self) -> float:
        return self._sink.pending_ms() + len(self._held) / BYTES_PER_MS

    def pause(self) -> None:
        if self._paused:
            return
        unplayed = int(self._sink.pending_ms() * BYTES_PER_MS) & ~1  # whole samples
        unplayed = min(unplayed, len(self._history))
        self._sink.flush()
        self._held = bytearray(self._history[len(self._history) - unplayed :]) if unplayed else bytearray()
        self._history.clear()
        self._paused = True

    def resume(self) -> None:
        if not self._paused:
            return
        self._paused = False
        held, self._held = bytes(self._held), bytearray()
        if held:
            self.write(held)
