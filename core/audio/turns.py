"""Turn-taking: when the caller starts speaking, pauses, and has finished their turn.

Feed every 20 ms frame of one speaker to `TurnDetector.push`; it returns at most one event per
frame:

- `SpeechStarted`: `start_frames` voiced frames within the last `start_window` frames.
- `SpeechPaused`: `pause_ms` of silence inside a turn. The utterance so far is attached so the
  orchestrator can start transcribing during the end-of-turn silence. If the turn then ends with
  no new speech, the final utterance has the same `end_of_speech_at` (and the same audio), so a
  transcript made at the pause can be reused.
- `SpeechEnded`: `end_of_turn_ms` of silence (or `max_utterance_ms` of audio). Its utterance holds
  the audio from `preroll_ms` before the first voiced frame to `TRAILING_MS` after the last one.

With a turn model (`turns.endpointing = smart-turn`) the pause comes after `turns.model_silence_ms`
and `wants_verdict` is True: the owner asks the model about `SpeechPaused.utterance` (off the audio
loop) and hands the answer back with `verdict()`. A "complete" verdict ends the turn at the next
frame if the caller has stayed silent; otherwise the turn ends after `turns.max_silence_ms`. The
verdict's compute time travels on `SpeechEnded.turn_model_ms`.

`TurnDetector.partial()` gives the audio so far at any time, for transcription while the caller
is still talking. Timestamps are the frames' `captured_at` (monotonic seconds), so
`detected_at - utterance.end_of_speech_at` is the endpoint delay of product.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from earpiece.core.audio.frames import FRAME_MS, AudioFrame
from earpiece.core.audio.smart_turn import TurnVerdict
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.vad import FrameVoiceActivity, VoiceActivity, frame_voice_activity
from earpiece.core.settings import VadSettings

TRAILING_MS = 100  # silence kept after the last voiced frame (Whisper likes a clean ending)


@dataclass(frozen=True, slots=True)
class Utterance:
    pcm: bytes  # 16 kHz mono PCM16, pre-roll included
    started_at: float  # captured_at of the first voiced frame
    end_of_speech_at: float  # captured_at of the last voiced frame
    voiced_ms: int

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / 32_000


@dataclass(frozen=True, slots=True)
class SpeechStarted:
    started_at: float  # captured_at of the first voiced frame
    detected_at: float  # captured_at of the frame that confirmed it


@dataclass(frozen=True, slots=True)
class SpeechPaused:
    utterance: Utterance
    detected_at: float


@dataclass(frozen=True, slots=True)
class SpeechEnded:
    utterance: Utterance
    detected_at: float  # when the turn was declared over
    forced: bool = False  # True when cut at max_utterance_ms rather than by silence
    by_model: bool = False  # True when the turn model's "complete" ended it (before the max silence)
    turn_model_ms: float | None = None  # the model's decision time for this utterance, if it was asked


TurnEvent = SpeechStarted | SpeechPaused | SpeechEnded


@dataclass(frozen=True, slots=True)
class _Frame:
    pcm: bytes
    captured_at: float
    voiced: bool


class TurnDetector:
    """Speech start / pause / end for one audio stream. Not thread-safe: one per stream."""

    def __init__(
        self,
        settings: VadSettings,
        *,
        pause_ms: int = 200,
        start_frames: int = 3,
        start_window: int = 4,
        max_utterance_ms: int = 30_000,
        vad: FrameVoiceActivity | None = None,
        turns: TurnSettings | None = None,
    ) -> None:
        if not 0 < start_frames <= start_window:
            raise ValueError("start_frames must be between 1 and start_window")
        if vad is None:  # one per stream: Silero keeps state from frame to frame
            aggressiveness = settings.aggressiveness
            vad = frame_voice_activity(turns, aggressiveness) if turns else VoiceActivity(aggressiveness)
        self._vad = vad
        self._preroll_frames = settings.preroll_ms // FRAME_MS
        self.wants_verdict = turns is not None and turns.endpointing is Endpointing.SMART_TURN
        if turns is not None and self.wants_verdict:
            end_ms, pause_ms = turns.max_silence_ms, turns.model_silence_ms
        else:
            end_ms = settings.end_of_turn_ms
        self._end_frames = max(1, end_ms // FRAME_MS)
        self._pause_frames = max(1, min(pause_ms, end_ms) // FRAME_MS)
        self._trailing_frames = TRAILING_MS // FRAME_MS
        self._start_frames = start_frames
        self._start_window = start_window
        self._max_frames = max_utterance_ms // FRAME_MS
        self._ring: deque[_Frame] = deque(maxlen=self._preroll_frames + start_window)
        self._frames: list[_Frame] = []
        self._last_voiced = -1  # index into _frames
        self._silent_frames = 0
        self._started_at = 0.0
        self._verdict: TurnVerdict | None = None  # the model's answer about the current pause

    @property
    def in_speech(self) -> bool:
        return bool(self._frames)

    def push(self, frame: AudioFrame, voiced: bool | None = None) -> TurnEvent | None:
        """Consume one frame; `voiced` may be given when the caller already ran the VAD."""
        item = _Frame(frame.pcm, frame.captured_at, self._vad.is_speech(frame) if voiced is None else voiced)
        if not self._frames:
            return self._push_idle(item)
        self._frames.append(item)
        if item.voiced:
            self._last_voiced = len(self._frames) - 1
            self._silent_frames = 0
            self._verdict = None  # the caller went on: the model judged an unfinished utterance
        else:
            self._silent_frames += 1
        if len(self._frames) >= self._max_frames:
            return self._end(item.captured_at, forced=True)
        if self._silent_frames == self._end_frames:
            return self._end(item.captured_at, forced=False)
        if self._silent_frames and self._verdict is not None and self._verdict.complete:
            return self._end(item.captured_at, forced=False)
        if self._silent_frames == self._pause_frames:
            return SpeechPaused(self._utterance(), item.captured_at)
        return None

    def verdict(self, end_of_speech_at: float, verdict: TurnVerdict) -> bool:
        """The turn model's answer about the utterance that ended at `end_of_speech_at`.

        Returns False (and ignores it) when that utterance is no longer the open one: the caller
        spoke again, or the turn already ended.
        """
        if not self._frames or self._silent_frames == 0:
            return False
        if self._frames[self._last_voiced].captured_at != end_of_speech_at:
            return False
        self._verdict = verdict
        return True

    def partial(self) -> Utterance | None:
        """The current utterance so far (None between turns)."""
        return self._utterance() if self._frames else None

    def reset(self) -> None:
        self._ring.clear()
        self._frames = []
        self._last_voiced = -1
        self._silent_frames = 0
        self._verdict = None

    def _push_idle(self, item: _Frame) -> SpeechStarted | None:
        self._ring.append(item)
        window = list(self._ring)[-self._start_window :]
        if sum(f.voiced for f in window) < self._start_frames:
            return None
        ring = list(self._ring)
        first_voiced = next(i for i in range(len(ring) - len(window), len(ring)) if ring[i].voiced)
        self._frames = ring[max(0, first_voiced - self._preroll_frames) :]
        self._last_voiced = max(i for i, f in enumerate(self._frames) if f.voiced)
        self._silent_frames = len(self._frames) - 1 - self._last_voiced
        self._ring.clear()
        self._started_at = ring[first_voiced].captured_at
        return SpeechStarted(self._started_at, item.captured_at)

    def _utterance(self) -> Utterance:
        end = min(len(self._frames), self._last_voiced + 1 + self._trailing_frames)
        return Utterance(
            pcm=b"".join(f.pcm for f in self._frames[:end]),
            started_at=self._started_at,
            end_of_speech_at=self._frames[self._last_voiced].captured_at,
            voiced_ms=sum(f.voiced for f in self._frames) * FRAME_MS,
        )

    def _end(self, detected_at: float, *, forced: bool) -> SpeechEnded:
        verdict = self._verdict
        by_model = not forced and verdict is not None and verdict.complete
        model_ms = verdict.compute_ms if verdict is not None else None
        event = SpeechEnded(self._utterance(), detected_at, forced, by_model, model_ms)
        self.reset()
        return event
