"""faster-whisper on speech the tests generate (Piper and eSpeak NG), and on non-speech."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable

import pytest

from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.turns import SpeechEnded, TurnDetector
from earpiece.core.settings import SttSettings, VadSettings
from earpiece.core.stt import WhisperSpeechToText, hotwords_from_vocabulary
from earpiece.core.stt.whisper import clean_transcript_text, is_known_hallucination
from tests.audio_gen import concat, espeak_speech, noise, piper_speech, silence, tone

pytestmark = pytest.mark.models


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: piper_speech("Please change my delivery address."), {"change", "delivery", "address"}),
        (lambda: espeak_speech("What time does the office open on Monday?"), {"time", "open", "monday"}),
        (lambda: espeak_speech("Can I speak to a person?", voice="en-gb"), {"speak", "person"}),
    ],
    ids=["piper", "espeak-us", "espeak-gb"],
)
def test_speech_is_transcribed(
    stt: WhisperSpeechToText, make: Callable[[], bytes], expected: set[str]
) -> None:
    pcm = concat(silence(300), make(), silence(300))
    transcript = asyncio.run(stt.transcribe(pcm))
    assert expected <= words(transcript.text), transcript
    assert transcript.no_speech_prob < 0.5
    assert transcript.audio_s == pytest.approx(len(pcm) / 32000)


@pytest.mark.parametrize(
    "make",
    [
        lambda: silence(2000),
        lambda: noise(2000, 0.03, seed=1),
        lambda: noise(2000, 0.3, seed=2),
        lambda: tone(1000, 440),
        lambda: concat(tone(300, 120, 0.5), silence(400), noise(500, 0.2, seed=3)),
    ],
    ids=["silence", "quiet-noise", "loud-noise", "tone", "hum-and-hiss"],
)
def test_non_speech_gives_no_text(stt: WhisperSpeechToText, make: Callable[[], bytes]) -> None:
    transcript = asyncio.run(stt.transcribe(make()))
    assert transcript.text == "", transcript


def test_vocabulary_brings_out_domain_words(stt: WhisperSpeechToText) -> None:
    biased = WhisperSpeechToText(SttSettings(model="tiny.en"), vocabulary=["Metrolink", "Earpiece", "refund"])
    pcm = piper_speech("Is the Metrolink refund policy different for Earpiece customers?")
    text = asyncio.run(biased.transcribe(pcm)).text
    assert {"metrolink", "earpiece"} <= words(text), text
    # hotwords per call do the same
    assert "earpiece" in words(asyncio.run(stt.transcribe(pcm, hotwords="Earpiece, Metrolink")).text)


def test_utterance_from_turn_detector_is_transcribed(stt: WhisperSpeechToText) -> None:
    pcm = concat(silence(400), espeak_speech("I want to cancel my order."), silence(1200))
    detector = TurnDetector(VadSettings())
    ended = [e for f in split_frames(pcm) if isinstance(e := detector.push(f), SpeechEnded)]
    assert len(ended) == 1
    assert {"cancel", "order"} <= words(asyncio.run(stt.transcribe(ended[0].utterance.pcm)).text)


def test_concurrent_calls_share_one_model_safely(stt: WhisperSpeechToText) -> None:
    a, b = piper_speech("Good morning."), espeak_speech("Thank you very much.")

    async def both() -> tuple[str, str]:
        ta, tb = await asyncio.gather(stt.transcribe(a), stt.transcribe(b))
        return ta.text, tb.text

    text_a, text_b = asyncio.run(both())
    assert "morning" in words(text_a) and "thank" in words(text_b)


def test_hallucination_filters() -> None:
    assert is_known_hallucination("Thanks for watching!")
    assert is_known_hallucination(" you")
    assert is_known_hallucination("Please subscribe to my channel.")
    assert not is_known_hallucination("Thank you, that helps.")
    assert not is_known_hallucination("Can you watch my parcel?")
    assert clean_transcript_text(" [BLANK_AUDIO] (music) ♪ hello *sigh* there ") == "hello there"


def test_hotwords_are_unique_and_bounded() -> None:
    assert hotwords_from_vocabulary(["Metrolink", " ", "Metrolink", "G.722"]) == "Metrolink, G.722"
    assert hotwords_from_vocabulary([]) is None
    long = hotwords_from_vocabulary([f"word{i}" for i in range(500)], max_chars=100)
    assert long is not None and len(long) <= 100
    few = hotwords_from_vocabulary([f"Term{i}" for i in range(40)])
    assert few is not None and few.split(", ") == [f"Term{i}" for i in range(12)]
