"""Piper, the offline voice: 16 kHz audio that the recogniser understands, sentence by sentence."""

from __future__ import annotations

import asyncio
import re
import time

import numpy as np
import pytest

from earpiece.core.settings import TtsSettings
from earpiece.core.stt import WhisperSpeechToText
from earpiece.core.tts import PiperTextToSpeech, build_text_to_speech, speak_text

pytestmark = pytest.mark.models


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


async def collect(chunks) -> list[bytes]:
    return [c async for c in chunks]


def test_piper_speaks_16k_pcm_the_recogniser_understands(
    piper: PiperTextToSpeech, stt: WhisperSpeechToText
) -> None:
    pcm = b"".join(asyncio.run(collect(piper.synthesize("Please hold the line while I check."))))
    assert len(pcm) % 2 == 0
    assert 1.0 < len(pcm) / 32000 < 5.0
    samples = np.frombuffer(pcm, dtype="<i2")
    assert 0.5 * 32767 < np.abs(samples).max() <= 32767
    assert {"hold", "line", "check"} <= words(asyncio.run(stt.transcribe(pcm)).text)


def test_speaking_rate_changes_duration(piper: PiperTextToSpeech) -> None:
    text = "Thank you for calling the support line."
    normal = b"".join(asyncio.run(collect(piper.synthesize(text))))
    fast_tts = PiperTextToSpeech(TtsSettings(speaking_rate=1.5), voice=asyncio.run(piper.load()))
    fast = b"".join(asyncio.run(collect(fast_tts.synthesize(text))))
    assert len(fast) < 0.8 * len(normal)


def test_first_sentence_is_ready_before_the_rest_is_produced(
    piper: PiperTextToSpeech, stt: WhisperSpeechToText
) -> None:
    answer = (
        "Your refund of $12.50 was approved. It reaches your card within 3 days. Anything else?"
    )

    async def timed() -> tuple[list[bytes], list[float], float]:
        start = time.perf_counter()
        chunks, at = [], []
        async for chunk in speak_text(piper, answer):
            chunks.append(chunk)
            at.append(time.perf_counter() - start)
        return chunks, at, time.perf_counter() - start

    chunks, at, total = asyncio.run(timed())
    assert len(chunks) == 3  # one chunk per sentence
    assert at[0] < total / 2  # the first sentence could already be playing
    first = asyncio.run(stt.transcribe(chunks[0])).text
    assert {"refund", "approved"} & words(first), first
    assert "12.50" in first or {"twelve", "dollars"} <= words(first), first  # the amount was spoken


def test_build_from_settings_defaults_to_piper() -> None:
    tts = build_text_to_speech(TtsSettings())
    assert [p.name for p in tts.providers] == ["piper"]
    with pytest.raises(ValueError, match=r"tts\.providers"):
        build_text_to_speech(TtsSettings(providers=["festival"]))
