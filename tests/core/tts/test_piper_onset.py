"""A reply's first audio is speech, not Piper's ~40 ms of near-silence before it (the caller would
wait for it): the first chunk starts LEAD_KEPT_MS before its first sample above LEAD_FLOOR_DBFS."""

from __future__ import annotations

import asyncio

import pytest

from earpiece.core.audio.frames import BYTES_PER_FRAME
from earpiece.core.audio.pcm import rms_dbfs
from earpiece.core.settings import TtsSettings
from earpiece.core.tts import PiperTextToSpeech
from earpiece.core.tts.piper import load_piper_voice, piper_pcm16k

pytestmark = pytest.mark.models
TEXT = "Our opening hours are nine to five. On Sunday we are closed."


async def chunks(piper: PiperTextToSpeech) -> list[bytes]:
    return [c async for c in piper.synthesize(TEXT)]


def test_piper_itself_starts_with_near_silence() -> None:
    voice = load_piper_voice(TtsSettings())
    first = next(piper_pcm16k(voice, TEXT, varied=False))
    assert rms_dbfs(first[:BYTES_PER_FRAME]) < -70  # what the trim is for


def test_the_first_frame_of_a_reply_is_already_speech(piper: PiperTextToSpeech) -> None:
    first, *rest = asyncio.run(chunks(piper))
    assert rms_dbfs(first[:BYTES_PER_FRAME]) > -60
    assert rest, "the second sentence came as its own chunk"
