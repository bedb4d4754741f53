"""hibari, the second offline voice: 16 kHz speech the recogniser understands, starting at once,
and never a voice that hibari would download."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from earpiece.core.audio.pcm import pcm16_to_float
from earpiece.core.settings import TtsSettings
from earpiece.core.stt import WhisperSpeechToText
from earpiece.core.tts import build_text_to_speech
from earpiece.core.tts.hibari import HibariTextToSpeech

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def hibari() -> HibariTextToSpeech:
    tts = HibariTextToSpeech(TtsSettings())
    asyncio.run(tts.load())
    return tts


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


async def collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [c async for c in chunks]


def speech(tts: HibariTextToSpeech, text: str) -> bytes:
    return b"".join(asyncio.run(collect(tts.synthesize(text))))


def test_hibari_speaks_16k_pcm16_of_a_plausible_length_from_the_first_ms(hibari: HibariTextToSpeech) -> None:
    chunks = asyncio.run(collect(hibari.synthesize("Please hold the line. I am checking your order now.")))
    assert len(chunks) == 2  # one chunk per sentence
    for pcm in chunks:
        assert len(pcm) % 2 == 0
        samples = pcm16_to_float(pcm)
        assert 0.5 < np.abs(samples).max() <= 1.0  # as loud as Piper's sentences
        # hibari pads each sentence with ~0.3 s of silence in front; the caller must not wait for it
        assert np.abs(samples[:160]).max() > 10 ** (-50 / 20)  # sound within the first 10 ms
        assert np.abs(samples[-3200:]).max() > 10 ** (-50 / 20)  # and no more than 0.2 s of quiet after it
    seconds = sum(len(pcm) for pcm in chunks) / 32_000  # 16 kHz x 2 bytes
    assert 2.0 < seconds < 4.0  # ten words at a speaking pace (~2.7 s; 24 kHz taken as 16 kHz: ~4 s)


def test_the_recogniser_understands_a_sentence_with_a_number(
    hibari: HibariTextToSpeech, stt: WhisperSpeechToText
) -> None:
    pcm = speech(hibari, "The parking fee is forty five dollars for the whole weekend.")
    heard = words(asyncio.run(stt.transcribe(pcm)).text)
    assert {"parking", "fee", "weekend"} <= heard
    assert "45" in heard or {"forty", "five"} <= heard


def test_speaking_rate_changes_duration(hibari: HibariTextToSpeech) -> None:
    text = "Thank you for calling the support line."
    fast = HibariTextToSpeech(TtsSettings(speaking_rate=1.5), model=asyncio.run(hibari.load()))
    assert len(speech(fast, text)) < 0.8 * len(speech(hibari, text))


def test_a_voice_hibari_would_download_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIBARI_HOME", str(tmp_path))  # where hibari would put a downloaded voice
    settings = TtsSettings(providers=["hibari"], hibari_voice="emma")
    with pytest.raises(ValueError, match=r"'emma'.*only the voice inside the hibari-tts package \(heart\)"):
        HibariTextToSpeech(settings)
    with pytest.raises(ValueError, match="never"):
        build_text_to_speech(settings)
    assert list(tmp_path.iterdir()) == []  # nothing was fetched


def test_tts_providers_hibari_builds_the_hibari_voice() -> None:
    chain = build_text_to_speech(TtsSettings(providers=["hibari", "piper"]))
    assert [p.name for p in chain.providers] == ["hibari", "piper"]
    assert isinstance(chain.providers[0], HibariTextToSpeech)
