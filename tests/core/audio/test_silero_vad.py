"""Silero VAD v5 on generated audio, beside webrtcvad, and its selection by setting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.silero_vad import SileroVoiceActivity
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings, VadEngine
from earpiece.core.audio.turns import SpeechStarted, TurnDetector
from earpiece.core.audio.vad import FrameVoiceActivity, VoiceActivity, frame_voice_activity
from earpiece.core.models import ModelNotFoundError
from earpiece.core.settings import VadSettings
from tests.audio_gen import concat, noise, piper_speech, silence


def voiced(vad: FrameVoiceActivity, pcm: bytes) -> list[bool]:
    return [vad.is_speech(frame) for frame in split_frames(pcm)]


@pytest.mark.models
def test_speech_is_voiced_and_silence_is_not() -> None:
    speech = piper_speech("Where is my parcel?")
    flags = voiced(SileroVoiceActivity(), concat(silence(600), speech, silence(800)))
    lead, body = flags[:25], flags[30 : 30 + len(speech) // 640 - 5]
    assert not any(lead)
    assert sum(body) / len(body) > 0.8
    assert not any(flags[-20:])


def test_white_noise_is_not_speech_unlike_webrtcvad() -> None:
    hiss = noise(2000, 0.05, seed=5)
    assert sum(voiced(SileroVoiceActivity(), hiss)) <= 2
    assert sum(voiced(VoiceActivity(2), hiss)) > 50  # why Silero is offered


@pytest.mark.models
def test_each_stream_keeps_its_own_state() -> None:
    speech = concat(silence(300), piper_speech("Good morning, I have a question about my order."))
    half = len(speech) // 2 // 640 * 640
    a, b, fresh = SileroVoiceActivity(), SileroVoiceActivity(), SileroVoiceActivity()
    voiced(a, speech[:half])  # a is in the middle of a sentence
    window = np.frombuffer(speech[half : half + 1024], dtype="<i2").astype(np.float32) / 32768
    after_speech, untouched, new = (v.probability(window) for v in (a, b, fresh))
    assert untouched == pytest.approx(new, abs=1e-6)
    assert after_speech != pytest.approx(new, abs=1e-3)


@pytest.mark.models
def test_turn_detector_with_silero_gives_one_turn() -> None:
    turns = TurnSettings(endpointing=Endpointing.TIMER, vad=VadEngine.SILERO)
    vad = frame_voice_activity(turns)
    assert isinstance(vad, SileroVoiceActivity)
    pcm = concat(silence(400), piper_speech("I want to cancel my order."), silence(1200), noise(1500, 0.05))
    settings = VadSettings()
    for detector in (TurnDetector(settings, turns=turns, vad=vad), TurnDetector(settings, turns=turns)):
        events = [e for f in split_frames(pcm) if (e := detector.push(f)) is not None]
        assert isinstance(events[0], SpeechStarted)
        # one turn: the hiss after it is not a second one (webrtcvad would start one)
        assert [type(e) for e in events].count(SpeechStarted) == 1, events


def test_webrtc_is_the_default_and_a_bad_path_is_named(tmp_path: Path) -> None:
    assert isinstance(frame_voice_activity(TurnSettings()), VoiceActivity)
    with pytest.raises(ModelNotFoundError, match="vad_model_path"):
        SileroVoiceActivity(str(tmp_path / "missing.onnx"))
