"""Barge-in on generated speech: a real interruption stops playback, backchannels do not.

Frames carry synthetic timestamps (20 ms apart), so the latencies below are exact frame
arithmetic, not wall-clock timings.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from earpiece.core.audio.barge_in import BargeIn, BargeInDetector, BargeInKind
from earpiece.core.audio.pcm import split_frames
from earpiece.core.settings import VadSettings
from tests.audio_gen import concat, espeak_speech, noise, piper_speech, silence

pytestmark = pytest.mark.models  # speech from the Piper voice

T0 = 50.0
SPEECH_AT = T0 + 0.3  # every clip starts after 300 ms of silence


def run(detector: BargeInDetector, pcm: bytes) -> list[BargeIn]:
    events = [detector.push(frame) for frame in split_frames(concat(silence(300), pcm, silence(600)), T0)]
    return [e for e in events if e is not None]


@pytest.fixture(scope="module")
def interruption() -> bytes:
    return piper_speech("Wait, stop, I have another question about my order.")


def test_interruption_pauses_within_200_ms_and_interrupts_after_the_minimum(interruption: bytes) -> None:
    settings = VadSettings(barge_in_min_ms=400)
    events = run(BargeInDetector(settings), interruption)
    assert [e.kind for e in events] == [BargeInKind.PAUSE, BargeInKind.INTERRUPT]
    pause, interrupt = events
    assert pause.onset_at == pytest.approx(SPEECH_AT, abs=0.1)
    assert pause.at - pause.onset_at <= 0.2  # playback paused within 200 ms of speech onset
    # decided on the first voiced frame at or past the minimum; a short pause in the speech
    # (here after "Wait,") can postpone it by at most the gap tolerance
    sustained = interrupt.at + 0.02 - interrupt.onset_at
    assert 0.4 - 1e-6 <= sustained <= 0.4 + 0.25


def test_short_minimum_interrupts_within_200_ms_of_onset(interruption: bytes) -> None:
    events = run(BargeInDetector(VadSettings(barge_in_min_ms=160)), interruption)
    interrupt = [e for e in events if e.kind is BargeInKind.INTERRUPT]
    assert len(interrupt) == 1
    assert interrupt[0].at + 0.02 - interrupt[0].onset_at <= 0.2


@pytest.mark.parametrize(
    ("name", "sound", "min_ms"),
    [
        ("cough-like burst", lambda: noise(200, 0.3, seed=7), 400),
        ("quick 'mm'", lambda: espeak_speech("mm", words_per_minute=320), 400),
        ("'uh-huh' under a 700 ms minimum", lambda: espeak_speech("uh-huh"), 700),
    ],
)
def test_backchannel_pauses_then_resumes_without_interrupting(
    name: str, sound: Callable[[], bytes], min_ms: int
) -> None:
    events = run(BargeInDetector(VadSettings(barge_in_min_ms=min_ms)), sound())
    assert [e.kind for e in events] == [BargeInKind.PAUSE, BargeInKind.RESUME], name
    assert events[0].at - events[0].onset_at <= 0.2


def test_uh_huh_interrupts_when_longer_than_the_minimum() -> None:
    # eSpeak's "uh-huh" lasts about 540 ms: the setting decides what counts as a backchannel
    events = run(BargeInDetector(VadSettings(barge_in_min_ms=300)), espeak_speech("uh-huh"))
    assert BargeInKind.INTERRUPT in [e.kind for e in events]


def test_after_interrupt_nothing_more_until_reset(interruption: bytes) -> None:
    detector = BargeInDetector(VadSettings())
    run(detector, interruption)
    assert detector.interrupted
    assert run(detector, interruption) == []
    detector.reset()
    assert [e.kind for e in run(detector, interruption)][-1] is BargeInKind.INTERRUPT


def test_silence_never_barges_in() -> None:
    assert run(BargeInDetector(VadSettings()), silence(2000)) == []
