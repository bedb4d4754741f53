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
frame if the caller has stayed silent; otherwise the turn ends after `turns.max_silence_ms`.

With the transcript check (`turns.endpointing = transcript`) `wants_transcript` is True: the owner
transcribes the pause's utterance (as it does speculatively anyway), reads it
(`transcript_turn.transcript_verdict`) and hands the verdict back the same way. "Complete" ends the
turn once `turns.complete_silence_ms` of silence has passed (at once if it already has); "unfinished"
holds it open up to `turns.unfinished_silence_ms`; otherwise, or before any verdict, it ends after
`vad.end_of_turn_ms` as with the timer. Either way the verdict's compute time travels on
`SpeechEnded.turn_model_ms`.

Silences are counted in whole 20 ms frames: every millisecond setting is rounded to the nearest
frame (`frames_for`), halves up, so an end of turn of 750 ms runs as 760 and 730 as 740.

`TurnDetector.partial()` gives the audio so far at any time, for transcription while the caller
is still talking. Timestamps are the frames' `captured_at` (monotonic seconds), so
`detected_at - utterance.end_of_speech_at` is the endpoint delay of product.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from earpiece.core.audio.frames import FRAME_MS, AudioFrame
from earpiece.core.audio.pcm import rms_dbfs
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.turn_verdict import TurnVerdict
from earpiece.core.audio.vad import FrameVoiceActivity, VoiceActivity, frame_voice_activity
from earpiece.core.settings import VadSettings

TRAILING_MS = 100  # silence kept after the last voiced frame (Whisper likes a clean ending)
# webrtcvad calls the quiet decay after speech "speech" for several frames (down to -99 dBFS on decoded
# G.722), so a turn's end of speech, from which its silence is counted, came ~150 ms late
# (bench/e2e's caller-minus-agent breakdown). Quieter frames are silence here (only here: barge-in
# wants the VAD's own view of onsets). bench/turns, transcript check, both bands: cut-ins dev 3.0 ->
# 4.0 %, test 2.3 -> 2.7 %; questions' end-of-turn delay p50 680 -> 590 ms (test).
SPEECH_FLOOR_DBFS = -55.0


def frames_for(ms: int) -> int:
    """Whole 20 ms frames for a silence of `ms`: the nearest count, halves up, at least one."""
    return max(1, (ms + FRAME_MS // 2) // FRAME_MS)


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
    by_model: bool = False  # True when a "complete" verdict (turn model, transcript) ended it early
    turn_model_ms: float | None = None  # the verdict's decision time for this utterance, if one came


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
        speech_floor_dbfs: float = SPEECH_FLOOR_DBFS,
    ) -> None:
        if not 0 < start_frames <= start_window:
            raise ValueError("start_frames must be between 1 and start_window")
        if vad is None:  # one per stream: Silero keeps state from frame to frame
            aggressiveness = settings.aggressiveness
            vad = frame_voice_activity(turns, aggressiveness) if turns else VoiceActivity(aggressiveness)
        self._vad = vad
        self._speech_floor_dbfs = speech_floor_dbfs
        self._preroll_frames = settings.preroll_ms // FRAME_MS
        endpointing = turns.endpointing if turns is not None else Endpointing.TIMER
        self.wants_verdict = endpointing is Endpointing.SMART_TURN
        self.wants_transcript = endpointing is Endpointing.TRANSCRIPT
        end_ms = decide_ms = unfinished_ms = settings.end_of_turn_ms
        if turns is not None and self.wants_verdict:
            end_ms = unfinished_ms = turns.max_silence_ms
            decide_ms = pause_ms = turns.model_silence_ms
        elif turns is not None and self.wants_transcript:
            # The timer stays the bound between the two: a complete transcript never waits longer
            # than it, an unfinished one never less (a longer `vad.end_of_turn_ms` set by hand wins).
            decide_ms = min(turns.complete_silence_ms, end_ms)
            unfinished_ms = max(turns.unfinished_silence_ms, end_ms)
        self._end_frames = frames_for(end_ms)  # silence that ends a turn without a verdict
        self._decide_frames = frames_for(decide_ms)  # the least silence a "complete" verdict ends
        self._unfinished_frames = frames_for(unfinished_ms)  # silence after an "unfinished" verdict
        self._pause_frames = frames_for(min(pause_ms, decide_ms, end_ms))
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
        if voiced is None:
            voiced = self._vad.is_speech(frame)
        item = _Frame(frame.pcm, frame.captured_at, voiced and rms_dbfs(frame.pcm) >= self._speech_floor_dbfs)
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
        verdict = self._verdict
        limit = self._unfinished_frames if verdict is not None and verdict.unfinished else self._end_frames
        if self._silent_frames >= limit:
            return self._end(item.captured_at, forced=False)
        if verdict is not None and verdict.complete and self._silent_frames >= self._decide_frames:
            return self._end(item.captured_at, forced=False, by_verdict=True)
        if self._silent_frames == self._pause_frames:
            return SpeechPaused(self._utterance(), item.captured_at)
        return None

    def verdict(self, end_of_speech_at: float, verdict: TurnVerdict) -> bool:
        """The turn model's (or the transcript check's) answer about the utterance that ended at
        `end_of_speech_at`.

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

    def _end(self, detected_at: float, *, forced: bool, by_verdict: bool = False) -> SpeechEnded:
        verdict = self._verdict
        model_ms = verdict.compute_ms if verdict is not None else None
        event = SpeechEnded(self._utterance(), detected_at, forced, by_verdict, model_ms)
        self.reset()
        return event
