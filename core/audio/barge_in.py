"""Barge-in: should the caller's speech stop Earpiece's playback?

Two requirements pull against each other: playback must stop within 200 ms of the caller starting
to speak, yet backchannels ("uh-huh", a cough) shorter than `VadSettings.barge_in_min_ms`
(default 400 ms) must not interrupt. No detector can know at 200 ms whether a sound will last
400 ms, so the decision comes in two steps:

1. `PAUSE` at speech onset (`onset_frames` voiced frames within `onset_window` frames, i.e.
   60-80 ms after onset). The orchestrator pauses playback without losing it
   (`PausableSink.pause()`): the caller hears Earpiece stop well within 200 ms.
2. Then either `INTERRUPT`, once speech is sustained for `barge_in_min_ms` measured from onset
   (onset to the end of the latest voiced frame, with no silent gap of `gap_ms`): the answer is
   abandoned (`flush()`); or `RESUME`, when the sound ends (a `gap_ms` silence) before that:
   it was a backchannel, and playback continues where it paused.

With a sink that cannot pause, ignore PAUSE/RESUME and act on INTERRUPT alone; playback then stops
`barge_in_min_ms` + one frame after onset. Every event carries `onset_at` and `at` (frame
timestamps) so the stop latency can be measured.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum

from earpiece.core.audio.frames import FRAME_MS, AudioFrame
from earpiece.core.audio.vad import VoiceActivity
from earpiece.core.settings import VadSettings

FRAME_S = FRAME_MS / 1000


class BargeInKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    INTERRUPT = "interrupt"


@dataclass(frozen=True, slots=True)
class BargeIn:
    kind: BargeInKind
    onset_at: float  # captured_at of the first voiced frame of the caller's speech
    at: float  # captured_at of the frame that decided


class BargeInDetector:
    """Feed the caller's frames while Earpiece is speaking; `reset()` when a new reply starts."""

    def __init__(
        self,
        settings: VadSettings,
        *,
        onset_frames: int = 3,
        onset_window: int = 4,
        gap_ms: int = 250,
        vad: VoiceActivity | None = None,
    ) -> None:
        if not 0 < onset_frames <= onset_window:
            raise ValueError("onset_frames must be between 1 and onset_window")
        self._vad = vad or VoiceActivity(settings.aggressiveness)
        self._min_s = settings.barge_in_min_ms / 1000
        self._gap_frames = max(1, gap_ms // FRAME_MS)
        self._onset_frames = onset_frames
        self._window: deque[tuple[float, bool]] = deque(maxlen=onset_window)
        self._onset_at: float | None = None
        self._last_voiced_end = 0.0
        self._silent_frames = 0
        self._interrupted = False

    @property
    def interrupted(self) -> bool:
        return self._interrupted

    def reset(self) -> None:
        self._window.clear()
        self._onset_at = None
        self._silent_frames = 0
        self._interrupted = False

    def push(self, frame: AudioFrame, voiced: bool | None = None) -> BargeIn | None:
        if self._interrupted:
            return None
        is_voiced = self._vad.is_speech(frame) if voiced is None else voiced
        now = frame.captured_at
        if self._onset_at is None:
            self._window.append((now, is_voiced))
            if sum(v for _, v in self._window) < self._onset_frames:
                return None
            self._onset_at = next(t for t, v in self._window if v)
            self._last_voiced_end = now + FRAME_S
            self._silent_frames = 0
            self._window.clear()
            return self._check_sustained(now) or BargeIn(BargeInKind.PAUSE, self._onset_at, now)
        if is_voiced:
            self._last_voiced_end = now + FRAME_S
            self._silent_frames = 0
            return self._check_sustained(now)
        self._silent_frames += 1
        if self._silent_frames >= self._gap_frames:
            onset, self._onset_at = self._onset_at, None
            return BargeIn(BargeInKind.RESUME, onset, now)
        return None

    def _check_sustained(self, now: float) -> BargeIn | None:
        assert self._onset_at is not None
        # A small epsilon: frame timestamps are sums of 0.02 and carry rounding error.
        if self._last_voiced_end - self._onset_at + 1e-6 < self._min_s:
            return None
        self._interrupted = True
        return BargeIn(BargeInKind.INTERRUPT, self._onset_at, now)
