"""Fixed phrases are played from memory: made once by the real voice, then spoken without it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest

from earpiece.core.settings import TtsSettings
from earpiece.core.tts import build_text_to_speech
from earpiece.core.tts.phrases import ONE_MOMENT, CachedTextToSpeech, PhraseCache, spoken_sentences
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, Mode

pytestmark = pytest.mark.models

GREETING = "Hello, thank you for calling. How can I help you?"
NOT_FOUND = "I'm sorry, I don't have that information. Would you like me to connect you to a person?"


async def collect(chunks: AsyncIterator[bytes]) -> bytes:
    return b"".join([chunk async for chunk in chunks])


@pytest.fixture(scope="module")
def cache() -> PhraseCache:
    phrases = PhraseCache()
    asyncio.run(phrases.prepare(build_text_to_speech(TtsSettings()), [GREETING, NOT_FOUND, ONE_MOMENT]))
    return phrases


def test_every_sentence_of_the_phrases_is_cached(cache: PhraseCache) -> None:
    texts = spoken_sentences(GREETING) + spoken_sentences(NOT_FOUND) + spoken_sentences(ONE_MOMENT)
    assert len(texts) == 5
    for text in texts:
        audio = cache.audio(text)
        assert audio is not None and 0.4 < len(b"".join(audio)) / 32_000 < 6, text
    assert cache.voice == "hibari"


@pytest.fixture
def voice_down(edge_server: FakeEdgeTtsServer) -> Iterator[FakeEdgeTtsServer]:
    """The edge-tts service refusing every request."""
    edge_server.mode = Mode.ERROR
    yield edge_server
    edge_server.mode = Mode.OK


def test_cached_phrases_play_while_the_voice_is_down(
    cache: PhraseCache, voice_down: FakeEdgeTtsServer
) -> None:
    edge_only = build_text_to_speech(TtsSettings(providers=["edge"]), edge_endpoint=voice_down.endpoint)
    tts = CachedTextToSpeech(edge_only, cache)
    for text in spoken_sentences(GREETING):
        audio = cache.audio(text)
        assert audio is not None
        stream = tts.synthesize(text)
        assert asyncio.run(collect(stream)) == b"".join(audio)
        assert stream.served.provider == "hibari (cached)" and stream.served.failures == ()
    uncached = tts.synthesize("Your parcel arrives on Monday morning.")
    with pytest.raises(Exception, match="HTTP 403"):
        asyncio.run(collect(uncached))
    assert uncached.served.provider is None and uncached.served.failures


def test_other_sentences_go_to_the_voice(cache: PhraseCache) -> None:
    tts = CachedTextToSpeech(build_text_to_speech(TtsSettings()), cache)
    assert [p.name for p in tts.providers] == ["hibari", "piper"]
    stream = tts.synthesize("Your parcel arrives on Monday morning.")
    pcm = asyncio.run(collect(stream))
    assert len(pcm) / 32_000 > 1.0
    assert stream.served.provider == "hibari"
