"""The voice chains built per call share one memory of which provider is down: the next call's
chain skips a dead edge-tts at once, and a background probe brings it back."""

from __future__ import annotations

import asyncio
import time

import pytest

from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.settings import TtsSettings
from earpiece.core.tts import FallbackTextToSpeech, Served, build_text_to_speech
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, Mode

pytestmark = pytest.mark.models

EDGE_TIMEOUT_S = 1.0
SETTINGS = TtsSettings(providers=["edge", "piper"], edge_timeout_s=EDGE_TIMEOUT_S, provider_cooldown_s=0.3)


@pytest.fixture
def server(edge_server: FakeEdgeTtsServer) -> FakeEdgeTtsServer:
    PROVIDER_HEALTH.clear()  # the server is shared by the module's tests
    edge_server.mode = Mode.OK
    return edge_server


async def _say(tts: FallbackTextToSpeech, text: str) -> tuple[float, Served]:
    """How long `tts` took to voice `text`, and who voiced it."""
    started = time.monotonic()
    stream = tts.synthesize(text)
    assert [chunk async for chunk in stream]
    return time.monotonic() - started, stream.served


def test_the_next_call_does_not_wait_for_a_dead_provider(server: FakeEdgeTtsServer) -> None:
    server.mode = Mode.STALL
    settings = SETTINGS.model_copy(update={"provider_cooldown_s": 30.0})
    first_call = build_text_to_speech(settings, edge_endpoint=server.endpoint)
    second_call = build_text_to_speech(settings, edge_endpoint=server.endpoint)
    first_s, first = asyncio.run(_say(first_call, "Hello there."))
    handshakes = server.handshakes
    second_s, second = asyncio.run(_say(second_call, "Hello again."))
    assert first_s >= EDGE_TIMEOUT_S and first.provider == "piper"
    assert second_s < EDGE_TIMEOUT_S / 2  # piper at once, no edge timeout
    assert second.provider == "piper"
    (skipped,) = second.failures
    assert skipped.skipped and "sent nothing" in skipped.reason
    assert server.handshakes == handshakes


def test_a_background_probe_brings_the_provider_back(server: FakeEdgeTtsServer) -> None:
    server.mode = Mode.ERROR
    key = f"tts edge {server.endpoint}"

    async def calls() -> list[str | None]:
        served = []
        for _ in range(2):
            tts = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint)
            served.append((await _say(tts, "Please hold."))[1].provider)
            server.mode = Mode.OK  # recovered after the first call
        await asyncio.sleep(0.4)
        tts = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint)
        # Cooled down: piper speaks, edge is probed meanwhile.
        served.append((await _say(tts, "Please hold."))[1].provider)
        for _ in range(100):
            if PROVIDER_HEALTH.down_reason(key) is None:
                break
            await asyncio.sleep(0.05)
        tts = build_text_to_speech(SETTINGS, edge_endpoint=server.endpoint)
        served.append((await _say(tts, "Please hold."))[1].provider)
        return served

    assert asyncio.run(calls()) == ["piper", "piper", "piper", "edge"]
