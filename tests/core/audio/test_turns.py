"""Turn-taking on generated speech: start, pause, end, pre-roll, partial audio, forced end."""

from __future__ import annotations

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import rms_dbfs, split_frames
from earpiece.core.audio.turns import (
    TRAILING_MS,
    SpeechEnded,
    SpeechPaused,
    SpeechStarted,
    TurnDetector,
    TurnEvent,
)
from earpiece.core.settings import VadSettings
from tests.audio_gen import concat, espeak_speech, noise, piper_speech, silence, tone

pytestmark = pytest.mark.models  # speech from the Piper voice

T0 = 1000.0  # frames carry monotonic-like timestamps


def run(detector: TurnDetector, pcm: bytes) -> list[TurnEvent]:
    events = [detector.push(frame) for frame in split_frames(pcm, T0)]
    return [e for e in events if e is not None]


@pytest.fixture(scope="module")
def question() -> bytes:
    return piper_speech("Where is my parcel")


def test_one_question_gives_start_then_end_with_timestamps(question: bytes) -> None:
    settings = VadSettings()
    pcm = concat(silence(500), question, silence(1500))
    events = run(TurnDetector(settings), pcm)
    assert [type(e) for e in events] == [SpeechStarted, SpeechPaused, SpeechEnded]
    started, paused, ended = events
    assert isinstance(started, SpeechStarted) and isinstance(ended, SpeechEnded)
    assert isinstance(paused, SpeechPaused)
    # Piper's decay after the last word (frames below -40 dBFS) is not speech
    audible = [f for f in split_frames(question) if rms_dbfs(f.pcm) >= -40]
    speech_end = T0 + 0.5 + audible[-1].captured_at + 0.02
    assert started.started_at == pytest.approx(T0 + 0.5, abs=0.12)
    assert started.detected_at - started.started_at <= 0.1  # 3 of 4 frames: 40-80 ms
    utterance = ended.utterance
    assert utterance.end_of_speech_at == pytest.approx(speech_end, abs=0.15)
    # the endpoint delay is exactly the configured end-of-turn silence
    endpoint_delay = ended.detected_at - utterance.end_of_speech_at
    assert endpoint_delay == pytest.approx(settings.end_of_turn_ms / 1000, abs=1e-6)
    # audio: pre-roll before the first voiced frame, up to TRAILING_MS after the last one
    spoken_s = utterance.end_of_speech_at + 0.02 - utterance.started_at
    expected_s = settings.preroll_ms / 1000 + spoken_s + TRAILING_MS / 1000
    assert utterance.duration_s == pytest.approx(expected_s, abs=0.021)
    assert utterance.voiced_ms > 600
    assert not ended.forced
    # nothing new was said after the pause: its utterance is the final one
    assert paused.utterance == utterance


def test_mid_sentence_pause_does_not_end_the_turn() -> None:
    speech = concat(piper_speech("Wait."), silence(450), piper_speech("I have another question."))
    events = run(TurnDetector(VadSettings()), concat(silence(300), speech, silence(1000)))
    kinds = [type(e) for e in events]
    assert kinds.count(SpeechStarted) == 1 and kinds.count(SpeechEnded) == 1
    paused = [e for e in events if isinstance(e, SpeechPaused)]
    ended = events[-1]
    assert isinstance(ended, SpeechEnded)
    assert len(paused) == 2  # after "Wait." (450 ms < end_of_turn_ms) and at the end
    assert paused[0].utterance.end_of_speech_at < ended.utterance.end_of_speech_at
    assert ended.utterance.duration_s > len(speech) / 32_000 - 0.2


def test_longer_end_of_turn_setting_waits_longer(question: bytes) -> None:
    pcm = concat(silence(300), question, silence(1500))
    short = run(TurnDetector(VadSettings(end_of_turn_ms=400)), pcm)[-1]
    long = run(TurnDetector(VadSettings(end_of_turn_ms=1000)), pcm)[-1]
    assert isinstance(short, SpeechEnded) and isinstance(long, SpeechEnded)
    assert long.detected_at - short.detected_at == pytest.approx(0.6, abs=1e-6)
    assert long.utterance.end_of_speech_at == short.utterance.end_of_speech_at


def test_silence_gives_no_events() -> None:
    assert run(TurnDetector(VadSettings()), silence(3000)) == []


def test_turn_still_open_at_end_of_input_and_partial_audio_grows(question: bytes) -> None:
    detector = TurnDetector(VadSettings())
    frames = split_frames(concat(silence(300), question), T0)
    sizes = []
    for i, frame in enumerate(frames):
        detector.push(frame)
        if i % 25 == 0 and detector.partial() is not None:
            partial = detector.partial()
            assert partial is not None
            sizes.append(len(partial.pcm))
    assert detector.in_speech
    assert len(sizes) >= 2 and sizes == sorted(sizes) and sizes[0] < sizes[-1]


def test_two_questions_give_two_turns() -> None:
    pcm = concat(silence(200), espeak_speech("What time do you open?"), silence(900),
                 espeak_speech("And on Sunday?"), silence(900))
    ended = [e for e in run(TurnDetector(VadSettings()), pcm) if isinstance(e, SpeechEnded)]
    assert len(ended) == 2
    assert ended[0].utterance.end_of_speech_at < ended[1].utterance.started_at


def test_max_utterance_forces_an_end() -> None:
    detector = TurnDetector(VadSettings(), max_utterance_ms=1000)
    events = run(detector, noise(2500, 0.1))  # webrtcvad hears white noise as speech
    ended = [e for e in events if isinstance(e, SpeechEnded)]
    assert ended and ended[0].forced
    assert ended[0].utterance.duration_s <= 1.0 + 1e-9


def test_precomputed_voiced_flag_is_used() -> None:
    detector = TurnDetector(VadSettings())
    events = [detector.push(AudioFrame(tone(20), T0 + i * 0.02), voiced=True) for i in range(3)]
    assert isinstance(events[-1], SpeechStarted)


def test_rejects_bad_start_window() -> None:
    with pytest.raises(ValueError, match="start_frames"):
        TurnDetector(VadSettings(), start_frames=5, start_window=4)
