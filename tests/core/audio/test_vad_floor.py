"""webrtcvad calls the quiet decay after speech "speech" for several frames; with the level floor a
turn's end of speech is found within a few frames of its last loud one (SPEECH_FLOOR_DBFS)."""

from __future__ import annotations

import pytest

from earpiece.core.audio.pcm import rms_dbfs, split_frames
from earpiece.core.audio.turns import SPEECH_FLOOR_DBFS, SpeechEnded, TurnDetector
from earpiece.core.settings import VadSettings
from tests.audio_gen import concat, piper_speech, silence

pytestmark = pytest.mark.models
QUESTIONS = ("When are you open on Saturday?", "How much is the Barista One?",
             "I need to change my delivery address.")


def frames_after_the_last_loud_one(text: str, speech_floor_dbfs: float = SPEECH_FLOOR_DBFS) -> int:
    frames = split_frames(concat(silence(300), piper_speech(text), silence(1500)))
    last_loud = max(f.captured_at for f in frames if rms_dbfs(f.pcm) >= -40)
    turns = TurnDetector(VadSettings(end_of_turn_ms=740), speech_floor_dbfs=speech_floor_dbfs)
    (ended,) = [e for e in map(turns.push, frames) if isinstance(e, SpeechEnded)]
    return round((ended.utterance.end_of_speech_at - last_loud) / 0.02)


@pytest.mark.parametrize("text", QUESTIONS)
def test_a_turns_speech_ends_within_a_few_frames_of_its_last_loud_one(text: str) -> None:
    assert frames_after_the_last_loud_one(text) <= 4


@pytest.mark.parametrize("text", QUESTIONS)
def test_without_the_floor_webrtcvad_hangs_on(text: str) -> None:
    assert frames_after_the_last_loud_one(text, speech_floor_dbfs=float("-inf")) >= 6
