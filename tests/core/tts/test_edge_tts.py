"""edge-tts through its real SDK against a local server speaking its websocket protocol, and the
fallback to Piper when the service refuses (403), stalls or sends garbage."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Iterator

import pytest

from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.settings import TtsSettings
from earpiece.core.stt import WhisperSpeechToText
from earpiece.core.tts import (
    EdgeTextToSpeech,
    EdgeTtsError,
    FallbackTextToSpeech,
    TextToSpeechError,
    TtsFailure,
    build_text_to_speech,
)
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, Mode

from .conftest import EDGE_SENTENCE

pytestmark = pytest.mark.models

SETTINGS = TtsSettings(providers=["edge", "piper"], edge_voice="en-GB-SoniaNeural", edge_timeout_s=1.0)


def words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


async def collect(chunks: AsyncIterator[bytes]) -> list[bytes]:
    return [c async for c in chunks]


@pytest.fixture
def server(edge_server: FakeEdgeTtsServer) -> Iterator[FakeEdgeTtsServer]:
    edge_server.mode = Mode.OK
    edge_server.requests.clear()
    PROVIDER_HEALTH.clear()  # the server is shared: an earlier test's failure must not carry over
    yield edge_server
    edge_server.mode = Mode.OK


def test_edge_streams_decoded_16k_audio(server: FakeEdgeTtsServer, stt: WhisperSpeechToText) -> None:
    edge = EdgeTextToSpeech(SETTINGS.model_copy(update={"speaking_rate": 1.25}), endpoint=server.endpoint)
    chunks = asyncio.run(collect(edge.synthesize("Your parcel arrives on Monday morning.")))
    assert len(chunks) > 3  # streamed as the MP3 arrives, not in one piece at the end
    pcm = b"".join(chunks)
    assert 1.5 < len(pcm) / 32000 < 5
    assert {"parcel", "monday"} <= words(asyncio.run(stt.transcribe(pcm)).text)
    (request,) = server.requests
    assert "(en-GB, SoniaNeural)" in request.ssml and "rate='+25%'" in request.ssml
    assert "Your parcel arrives on Monday morning." in request.ssml
    assert "audio-24khz-48kbitrate-mono-mp3" in request.speech_config
    assert request.query["TrustedClientToken"] and request.query["Sec-MS-GEC"]


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        (Mode.ERROR, "refused the request: HTTP 403"),
        (Mode.STALL, "sent nothing for 1 s"),
        (Mode.GARBAGE, "unexpected response"),
        (Mode.BAD_AUDIO, "no decodable audio"),
    ],
)
def test_edge_failures_are_clear(server: FakeEdgeTtsServer, mode: Mode, message: str) -> None:
    server.mode = mode
    edge = EdgeTextToSpeech(SETTINGS, endpoint=server.endpoint)
    with pytest.raises(EdgeTtsError, match=message):
        asyncio.run(collect(edge.synthesize("Hello.")))


def test_fallback_uses_edge_when_it_works(server: FakeEdgeTtsServer) -> None:
    stream = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint).synthesize("Hello.")
    assert asyncio.run(collect(stream))
    assert stream.served.provider == "edge" and stream.served.failures == ()


@pytest.mark.parametrize("mode", [Mode.ERROR, Mode.STALL, Mode.GARBAGE, Mode.BAD_AUDIO])
def test_fallback_to_piper_records_why(
    server: FakeEdgeTtsServer, stt: WhisperSpeechToText, mode: Mode
) -> None:
    server.mode = mode
    seen: list[TtsFailure] = []
    tts = FallbackTextToSpeech(
        build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint).providers, on_failure=seen.append
    )
    stream = tts.synthesize("Please hold the line.")
    pcm = b"".join(asyncio.run(collect(stream)))
    assert stream.served.provider == "piper"
    (failure,) = stream.served.failures
    assert failure.provider == "edge" and "EdgeTtsError" in failure.reason
    assert not failure.after_audio and not failure.skipped
    assert seen == [failure]
    if mode is Mode.ERROR:  # the replacement audio is real speech of the same sentence
        assert {"hold", "line"} <= words(asyncio.run(stt.transcribe(pcm)).text)


def test_failed_provider_is_skipped_while_cooling_down(server: FakeEdgeTtsServer) -> None:
    server.mode = Mode.ERROR
    tts = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint)
    asyncio.run(collect(tts.synthesize("First sentence.")))
    handshakes = server.handshakes
    server.mode = Mode.OK
    second = tts.synthesize("Second sentence.")
    asyncio.run(collect(second))
    assert server.handshakes == handshakes  # edge was not tried again
    assert second.served.provider == "piper"
    (skipped,) = second.served.failures
    assert skipped.skipped and "HTTP 403" in skipped.reason


def test_no_switch_after_audio_has_started(server: FakeEdgeTtsServer) -> None:
    server.mode = Mode.STALL_AFTER_AUDIO
    tts = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint)
    received: list[bytes] = []
    stream = tts.synthesize(EDGE_SENTENCE)

    async def consume() -> None:
        async for chunk in stream:
            received.append(chunk)

    with pytest.raises(TextToSpeechError, match="after its audio had started"):
        asyncio.run(consume())
    assert received  # the first half was played; Piper did not start the sentence again
    assert stream.served.provider == "edge"
    (failure,) = stream.served.failures
    assert failure.after_audio and "sent nothing" in failure.reason


def test_every_provider_failing_is_one_clear_error(server: FakeEdgeTtsServer) -> None:
    server.mode = Mode.ERROR
    edge_only = SETTINGS.model_copy(update={"providers": ["edge"]})
    tts = build_text_to_speech(edge_only, edge_endpoint=server.endpoint)
    with pytest.raises(TextToSpeechError, match=r"every text-to-speech provider failed: edge: .*HTTP 403"):
        asyncio.run(collect(tts.synthesize("Hello.")))
