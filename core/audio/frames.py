"""The audio contract between sip/ and core/: 20 ms frames of 16 kHz mono PCM16.

sip/ produces `AudioFrame`s from a call (and the headset) and accepts reply audio through an
`AudioSink`; core/ never sees pjsua2 or sounddevice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

SAMPLE_RATE = 16_000
FRAME_MS = 20
SAMPLES_PER_FRAME = SAMPLE_RATE * FRAME_MS // 1000  # 320
BYTES_PER_FRAME = SAMPLES_PER_FRAME * 2  # 640


@dataclass(frozen=True, slots=True)
class AudioFrame:
    """One 20 ms frame. `captured_at` is `time.monotonic()` when the frame entered the process."""

    pcm: bytes
    captured_at: float

    def __post_init__(self) -> None:
        if len(self.pcm) != BYTES_PER_FRAME:
            raise ValueError(f"an audio frame is {BYTES_PER_FRAME} bytes, got {len(self.pcm)}")


class AudioSink(Protocol):
    """Where core/ writes reply audio (16 kHz mono PCM16, any length)."""

    def write(self, pcm: bytes) -> None:
        """Queue audio for playback; returns at once."""

    def flush(self) -> None:
        """Drop everything queued and not yet played (barge-in)."""

    def pending_ms(self) -> float:
        """How much queued audio is still to be played."""
