"""`PausableSink`: pause and resume reply audio on a sink that can only write, flush and count."""

from __future__ import annotations

import pytest

from earpiece.core.audio.playback import PausableSink


class ClockedSink:
    """An AudioSink that 'plays' queued audio when the test advances its clock."""

    def __init__(self) -> None:
        self.queue = bytearray()
        self.played = bytearray()

    def write(self, pcm: bytes) -> None:
        self.queue += pcm

    def flush(self) -> None:
        self.queue.clear()

    def pending_ms(self) -> float:
        return len(self.queue) / 32

    def advance(self, ms: int) -> None:
        n = min(len(self.queue), ms * 32)
        self.played += self.queue[:n]
        del self.queue[:n]


def numbered(ms: int, start: int) -> bytes:
    """Distinct samples so that a lost or repeated piece shows."""
    return b"".join(((start + i) % 30000).to_bytes(2, "little") for i in range(ms * 16))


def test_pausable_sink_resumes_exactly_where_it_paused() -> None:
    sink = ClockedSink()
    playback = PausableSink(sink)
    first, second = numbered(1000, 0), numbered(200, 16000)
    playback.write(first)
    sink.advance(300)
    playback.pause()
    assert playback.paused and sink.pending_ms() == 0
    assert playback.pending_ms() == pytest.approx(700)
    playback.write(second)  # produced while paused: held, not played
    sink.advance(500)
    assert bytes(sink.played) == first[: 300 * 32]
    playback.resume()
    sink.advance(5000)
    assert bytes(sink.played) == first + second


def test_pausable_sink_flush_drops_everything() -> None:
    sink = ClockedSink()
    playback = PausableSink(sink)
    playback.write(numbered(1000, 0))
    sink.advance(100)
    playback.pause()
    playback.flush()
    playback.resume()
    sink.advance(5000)
    assert len(sink.played) == 100 * 32
    assert playback.pending_ms() == 0 and not playback.paused
