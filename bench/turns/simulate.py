"""Push a case's frames through `TurnDetector` as the listener does, each pause's verdict arriving a
set time after the pause (so the machine's load does not decide the outcome): the turn model's a
fixed time after it; the transcript check's after the recognition time `recognition_ms` models for
the utterance's length (the text itself is the product recogniser's, `transcripts.py`)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

from bench.turns.transcripts import PauseTranscripts
from earpiece.core.audio.frames import FRAME_MS, AudioFrame
from earpiece.core.audio.smart_turn import SmartTurnModel
from earpiece.core.audio.transcript_turn import transcript_verdict
from earpiece.core.audio.turn_verdict import TurnVerdict
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, TurnDetector, Utterance
from earpiece.core.audio.vad import FrameVoiceActivity

# Moonshine tiny's time for an utterance on a quiet core here (41 / 122 / 209 ms for 0.7 / 2.9 /
# 4.2 s of audio, shared notes stack.md) plus ~25 ms of hand-off to a recognition worker.
RECOGNITION_BASE_MS = 30.0
RECOGNITION_MS_PER_S = 48.0


def recognition_ms(utterance: Utterance) -> float:
    """The modelled time from a pause to its transcript."""
    return RECOGNITION_BASE_MS + RECOGNITION_MS_PER_S * utterance.duration_s


@dataclass(frozen=True, slots=True)
class TurnEnd:
    detected_s: float  # from the case's start
    by_model: bool
    forced: bool
    voiced_ms: int  # of the utterance that ended


class CachedJudge:
    """Smart Turn's probability for each utterance, computed once; the threshold is applied per run."""

    def __init__(self, model: SmartTurnModel) -> None:
        self._model = model
        self._seen: dict[bytes, TurnVerdict] = {}
        self.compute_ms: list[float] = []

    def judge(self, pcm: bytes, threshold: float) -> TurnVerdict:
        key = hashlib.sha1(pcm).digest()
        if key not in self._seen:
            self._seen[key] = verdict = self._model.judge(pcm)
            self.compute_ms.append(verdict.compute_ms)
        seen = self._seen[key]
        return TurnVerdict(seen.probability >= threshold, seen.probability, seen.compute_ms)


def voiced_flags(frames: list[AudioFrame], vad: FrameVoiceActivity) -> list[bool]:
    return [vad.is_speech(frame) for frame in frames]


def run_case(
    frames: list[AudioFrame],
    voiced: list[bool],
    detector: TurnDetector,
    judge: CachedJudge | None,
    threshold: float,
    verdict_delay_ms: float,
    transcripts: PauseTranscripts | None = None,
    measured: bool = False,
) -> list[TurnEnd]:
    """Every turn end the detector declares over the case's audio. With `measured`, a transcript's
    verdict arrives after the time its recognition took when it was made (on this machine, under
    whatever load it had) instead of the modelled quiet-machine time."""
    pending: dict[int, tuple[float, TurnVerdict]] = {}  # frame index -> (end_of_speech_at, verdict)
    ends: list[TurnEnd] = []
    for index, (frame, is_voiced) in enumerate(zip(frames, voiced, strict=True)):
        if index in pending:
            detector.verdict(*pending.pop(index))
        event = detector.push(frame, is_voiced)
        if isinstance(event, SpeechPaused) and judge is not None and detector.wants_verdict:
            verdict = judge.judge(event.utterance.pcm, threshold)
            delay_frames = max(1, math.ceil(verdict_delay_ms / FRAME_MS))
            pending[index + delay_frames] = (event.utterance.end_of_speech_at, verdict)
        elif isinstance(event, SpeechPaused) and transcripts is not None and detector.wants_transcript:
            heard = transcripts.heard(event.utterance.pcm)
            waited = heard.compute_ms if measured else recognition_ms(event.utterance)
            verdict = transcript_verdict(heard.text, waited)
            delay_frames = max(1, math.ceil(waited / FRAME_MS))
            pending[index + delay_frames] = (event.utterance.end_of_speech_at, verdict)
        elif isinstance(event, SpeechEnded):
            ends.append(TurnEnd(event.detected_at, event.by_model, event.forced, event.utterance.voiced_ms))
    return ends
