from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from earpiece.core.settings import SttSettings, TtsSettings
from earpiece.core.stt import WhisperSpeechToText
from earpiece.core.tts import PiperTextToSpeech
from tests.audio_gen import piper_speech
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, encode_mp3

EDGE_SENTENCE = "Your parcel arrives on Monday morning."


@pytest.fixture(scope="session")
def stt() -> WhisperSpeechToText:
    """tiny.en, loaded once per process (shared with the STT tests' fixture)."""
    recogniser = WhisperSpeechToText(SttSettings(model="tiny.en"))
    asyncio.run(recogniser.load())
    return recogniser


@pytest.fixture(scope="session")
def piper() -> PiperTextToSpeech:
    tts = PiperTextToSpeech(TtsSettings())
    asyncio.run(tts.load())
    return tts


@pytest.fixture(scope="module")
def edge_server() -> Iterator[FakeEdgeTtsServer]:
    """The edge-tts wire protocol on 127.0.0.1, streaming a real MP3 of EDGE_SENTENCE."""
    with FakeEdgeTtsServer(encode_mp3(piper_speech(EDGE_SENTENCE))) as server:
        yield server
