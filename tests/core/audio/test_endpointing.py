"""The turn model's verdicts in the turn detector (frames with given voiced flags, injected verdicts)."""

from __future__ import annotations

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.smart_turn import TurnVerdict
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.turns import SpeechEnded, SpeechPaused, SpeechStarted, TurnDetector, TurnEvent
from earpiece.core.settings import VadSettings
from tests.audio_gen import tone

T0 = 500.0
VOICED = tone(20)  # a frame loud enough to be speech (quieter ones never are)
SETTINGS = TurnSettings(model_silence_ms=200, max_silence_ms=1200)
COMPLETE = TurnVerdict(True, 0.93, 48.0)
INCOMPLETE = TurnVerdict(False, 0.08, 51.0)


class Feed:
    """Pushes 20 ms frames with chosen voiced flags and keeps the events."""

    def __init__(self, detector: TurnDetector) -> None:
        self.detector = detector
        self.n = 0
        self.events: list[TurnEvent] = []

    def frames(self, count: int, voiced: bool) -> list[TurnEvent]:
        new = []
        for _ in range(count):
            pcm = VOICED if voiced else bytes(640)
            event = self.detector.push(AudioFrame(pcm, T0 + self.n * 0.02), voiced)
            self.n += 1
            if event is not None:
                new.append(event)
        self.events += new
        return new

    def speech(self, ms: int) -> list[TurnEvent]:
        return self.frames(ms // 20, True)

    def silence(self, ms: int) -> list[TurnEvent]:
        return self.frames(ms // 20, False)


def model_detector() -> Feed:
    return Feed(TurnDetector(VadSettings(), turns=SETTINGS))


def paused(events: list[TurnEvent]) -> SpeechPaused:
    (event,) = [e for e in events if isinstance(e, SpeechPaused)]
    return event


def test_complete_verdict_ends_the_turn_at_the_next_silent_frame() -> None:
    feed = model_detector()
    assert feed.detector.wants_verdict
    feed.speech(1000)
    pause = paused(feed.silence(200))  # asked at 200 ms of silence
    assert feed.detector.verdict(pause.utterance.end_of_speech_at, COMPLETE)
    (ended,) = feed.silence(20)
    assert isinstance(ended, SpeechEnded) and ended.by_model and not ended.forced
    assert ended.turn_model_ms == 48.0
    assert ended.detected_at - ended.utterance.end_of_speech_at == pytest.approx(0.22, abs=1e-6)
    assert ended.utterance == pause.utterance


def test_incomplete_verdict_waits_for_the_maximum_silence() -> None:
    feed = model_detector()
    feed.speech(800)
    pause = paused(feed.silence(200))
    assert feed.detector.verdict(pause.utterance.end_of_speech_at, INCOMPLETE)
    assert feed.silence(980) == []
    (ended,) = feed.silence(20)
    assert isinstance(ended, SpeechEnded) and not ended.by_model
    assert ended.detected_at - ended.utterance.end_of_speech_at == pytest.approx(1.2, abs=1e-6)
    assert ended.turn_model_ms == 51.0  # asked, even though the timer ended the turn


def test_no_verdict_falls_back_to_the_maximum_silence() -> None:
    feed = model_detector()
    feed.speech(600)
    events = feed.silence(1200)
    assert [type(e) for e in events] == [SpeechPaused, SpeechEnded]
    ended = events[-1]
    assert isinstance(ended, SpeechEnded) and ended.turn_model_ms is None and not ended.by_model


def test_late_verdict_after_the_caller_went_on_is_ignored() -> None:
    feed = model_detector()
    feed.speech(600)
    first = paused(feed.silence(300))
    feed.speech(400)  # "... uh ... 4 5 2"
    assert not feed.detector.verdict(first.utterance.end_of_speech_at, COMPLETE)
    assert [type(e) for e in feed.silence(600)] == [SpeechPaused]
    assert feed.detector.in_speech  # not ended by the stale verdict


def test_accepted_verdict_is_dropped_when_speech_resumes_first() -> None:
    feed = model_detector()
    feed.speech(600)
    first = paused(feed.silence(200))
    feed.detector.verdict(first.utterance.end_of_speech_at, COMPLETE)
    # the "complete" arrived, but the next frame is speech: the caller was not finished
    feed.speech(20)
    feed.speech(300)
    assert [type(e) for e in feed.silence(600)] == [SpeechPaused]
    assert feed.detector.in_speech


def test_verdict_between_turns_is_ignored() -> None:
    feed = model_detector()
    assert not feed.detector.verdict(T0, COMPLETE)
    feed.speech(400)
    assert not feed.detector.verdict(T0 + 0.38, COMPLETE)  # still speaking: nothing to judge


def test_timer_endpointing_ignores_the_model_settings() -> None:
    timer = TurnSettings(endpointing=Endpointing.TIMER, model_silence_ms=200, max_silence_ms=1200)
    feed = Feed(TurnDetector(VadSettings(end_of_turn_ms=600), pause_ms=200, turns=timer))
    assert not feed.detector.wants_verdict
    feed.speech(600)
    events = feed.silence(600)
    assert [type(e) for e in events] == [SpeechPaused, SpeechEnded]
    ended = events[-1]
    assert isinstance(ended, SpeechEnded)
    assert ended.detected_at - ended.utterance.end_of_speech_at == pytest.approx(0.6, abs=1e-6)


def test_start_is_unchanged_with_a_model() -> None:
    feed = model_detector()
    assert isinstance(feed.speech(60)[0], SpeechStarted)
