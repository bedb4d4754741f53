"""Which voice spoke travels with the audio (`SpeechStream.served`), not on the voice object: when
the first provider fails, a turn's figures (what the latency panel shows) and the call record name
the provider the caller heard, and why the first one was passed over."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest

from earpiece.core.engine import (
    CallSession,
    EngineConfig,
    TranscriptEvent,
    TurnMetrics,
    TurnMetricsEvent,
    VoiceStack,
)
from earpiece.core.engine.answering import Answerer
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import CallMode, TtsSettings, VadSettings
from earpiece.core.tts import EdgeTextToSpeech, FallbackTextToSpeech, PiperTextToSpeech, SpeechStream
from tests.core.engine.harness import (
    KNOWLEDGE,
    HeardSpeechToText,
    PlaybackSink,
    ScriptedCaller,
    WordRetriever,
    next_event,
)
from tests.fakes.edge_tts_server import FakeEdgeTtsServer, Mode

pytestmark = pytest.mark.models

SETTINGS = TtsSettings(providers=["edge", "piper"], edge_timeout_s=1.0)


class InstantSink(PlaybackSink):
    """Plays at once: the test needs which voice spoke, not the seconds of playing it."""

    def pending_ms(self) -> float:
        return 0.0


@pytest.fixture
def edge_refusing(edge_server: FakeEdgeTtsServer) -> Iterator[FakeEdgeTtsServer]:
    edge_server.mode = Mode.ERROR  # 403 to every request
    yield edge_server
    edge_server.mode = Mode.OK


def voices(edge: FakeEdgeTtsServer, piper: PiperTextToSpeech) -> FallbackTextToSpeech:
    """edge-tts first, Piper behind it, with a memory of failures of their own."""
    return FallbackTextToSpeech([EdgeTextToSpeech(SETTINGS, endpoint=edge.endpoint), piper])


def test_each_stream_says_who_voiced_it(edge_server: FakeEdgeTtsServer, piper: PiperTextToSpeech) -> None:
    edge_server.mode = Mode.OK
    chain = voices(edge_server, piper)

    async def sentences() -> list[SpeechStream]:
        streams = []
        for mode in (Mode.OK, Mode.ERROR, Mode.OK):  # edge works, then refuses, then is skipped
            edge_server.mode = mode
            stream = chain.synthesize("Please hold the line.")
            assert stream.served.provider is None  # not known before the first audio
            assert [chunk async for chunk in stream]
            streams.append(stream)
        return streams

    try:
        first, second, third = asyncio.run(sentences())
    finally:
        edge_server.mode = Mode.OK
    assert (first.served.provider, first.served.failures) == ("edge", ())
    assert second.served.provider == "piper"
    (refused,) = second.served.failures
    assert refused.provider == "edge" and "HTTP 403" in refused.reason and not refused.skipped
    assert third.served.provider == "piper" and third.served.failures[0].skipped
    assert first.served.provider == "edge", "a later sentence must not change an earlier stream's"


@pytest.mark.parametrize("early_answer", [False, True])
def test_a_turn_voiced_after_the_first_provider_failed_names_the_provider_heard(
    edge_refusing: FakeEdgeTtsServer, piper: PiperTextToSpeech, early_answer: bool
) -> None:
    caller, sink = ScriptedCaller(), InstantSink()
    answerer = Answerer(OfflineResponder(0.3), WordRetriever(list(KNOWLEDGE)), top_k=2, min_score=0.3)
    stack = VoiceStack(HeardSpeechToText(lambda: caller.last_said), voices(edge_refusing, piper), answerer,
                       VadSettings(end_of_turn_ms=500))
    # early_answer: the reply's first phrase is voiced in the caller's pause, the rest after the turn.
    config = EngineConfig(early_answer=early_answer)
    session = CallSession(stack, mode=CallMode.AUTONOMOUS, sink=sink, config=config)

    async def call() -> tuple[TurnMetrics, str]:
        events = session.events.queue()
        runner = asyncio.create_task(session.run(caller.frames()))
        try:
            await next_event(events, TranscriptEvent, where=lambda e: e.turn_id == 0, timeout=30)  # greeted
            caller.say("When are you open on Saturday?")
            metrics = (await next_event(events, TurnMetricsEvent, where=lambda e: e.metrics.turn_id == 1,
                                        timeout=30)).metrics
        finally:
            caller.hang_up()
            record = await asyncio.wait_for(runner, 20)
        assert record is not None, "the session saved no record"
        return metrics, record.read_text()

    metrics, record = asyncio.run(call())
    assert "Saturday we open" in metrics.answer
    assert metrics.providers["tts"] == "piper" and metrics.tts_ttfb_ms is not None
    assert any(f.startswith("edge: ") and "HTTP 403" in f for f in metrics.tts_failures), metrics.tts_failures
    (turn,) = [t for t in json.loads(record)["turns"] if t["turn_id"] == 1]
    assert turn["providers"]["tts"] == "piper" and turn["tts_failures"] == metrics.tts_failures
