"""Round trip: facts normalised for speech, voiced by the real Piper voice and transcribed back by
faster-whisper, come back with the same digits and keypad keys.

Piper draws fresh noise for every synthesis, so a rare mishearing by tiny.en is allowed for: at most
one sentence of the set may lose its fact.
"""

from __future__ import annotations

import asyncio
import re

import pytest

from earpiece.core.stt import WhisperSpeechToText
from earpiece.core.tts import PiperTextToSpeech, normalize_for_speech
from earpiece.core.tts.normalize import DIGITS

pytestmark = pytest.mark.models

SENTENCES = [
    "The default PIN of 0000 works on every handset.",
    "Call our help line at 800-371-5465.",
    "Our office number is (202) 555-0143.",
    "From abroad, dial +44 20 7946 0958.",
    "Call 0800 123 4567, ext. 204, for billing.",
    "To repeat this menu, press * then 9; to finish, press #.",
    "Your order number is 48213579.",
    "Send the form to Austin, TX 78701.",
    "The card ending in 4242 was charged $1,299.99.",
    "We open at 9:30 am on weekdays.",
]
DIGIT_WORDS = {word: str(digit) for digit, word in enumerate(DIGITS)}
KEY_WORDS = {"star": "*", "*": "*", "hash": "#", "#": "#"}


def facts(text: str) -> str:
    """The digits and keypad keys of `text` in order, spoken digit words mapped to digits."""
    out = []
    for token in re.findall(r"[a-z]+|\d|[*#]", text.lower()):
        out.append(DIGIT_WORDS.get(token) or KEY_WORDS.get(token) or (token if token.isdigit() else ""))
    return "".join(out)


async def speech(tts: PiperTextToSpeech, text: str) -> bytes:
    return b"".join([chunk async for chunk in tts.synthesize(normalize_for_speech(text))])


async def round_trips(tts: PiperTextToSpeech, stt: WhisperSpeechToText, texts: list[str]) -> list[str]:
    """Each text voiced and transcribed back; the next text is voiced while the last one is being
    transcribed (the recogniser runs on one thread, the voice on the other core)."""
    heard = []
    voicing = asyncio.create_task(speech(tts, texts[0]))
    for following in [*texts[1:], None]:
        pcm = await voicing
        if following is not None:
            voicing = asyncio.create_task(speech(tts, following))
        heard.append((await stt.transcribe(pcm)).text)
    return heard


def test_digits_and_keys_survive_speech_and_transcription(
    piper: PiperTextToSpeech, stt: WhisperSpeechToText
) -> None:
    heard = asyncio.run(round_trips(piper, stt, SENTENCES))
    lost = [(text, said) for text, said in zip(SENTENCES, heard, strict=True) if facts(said) != facts(text)]
    assert len(lost) <= 1, "\n".join(f"{text!r} was heard as {said!r}" for text, said in lost)
