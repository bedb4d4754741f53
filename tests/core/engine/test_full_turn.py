"""One full turn with the real offline stack: a spoken question WAV in, reply audio out, and that
audio, transcribed again, holds the fact from the sample knowledge base."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest

from earpiece.core.audio.wav import read_wav_16k, write_wav
from earpiece.core.engine import BotSpeakingStarted, EngineEvent, TurnMetricsEvent
from earpiece.core.engine.factory import build_voice_stack, create_session, open_retriever, warm_up
from earpiece.core.engine.metrics import TurnMetrics
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.settings import CallMode, Settings
from earpiece.core.stt import WhisperSpeechToText
from tests.audio_gen import concat, piper_speech, silence
from tests.core.engine.harness import PlaybackSink, ScriptedCaller, next_event

pytestmark = pytest.mark.models

QUESTION = "How many days do I have to return a product for a full refund?"


class TurnSink(PlaybackSink):
    """Keeps the audio of each reply apart; plays instantly (the test needs the audio, not the wait)."""

    def __init__(self) -> None:
        super().__init__()
        self.turn = 0
        self.by_turn: dict[int, bytearray] = {}

    def observe(self, event: EngineEvent) -> None:
        if isinstance(event, BotSpeakingStarted):
            self.turn = event.turn_id

    def write(self, pcm: bytes) -> None:
        self.by_turn.setdefault(self.turn, bytearray()).extend(pcm)

    def pending_ms(self) -> float:
        return 0.0


def test_a_spoken_question_gets_a_spoken_answer_with_the_fact(tmp_path: Path) -> None:
    wav = write_wav(tmp_path / "question.wav", concat(silence(200), piper_speech(QUESTION), silence(200)))
    settings = Settings()

    async def main() -> tuple[TurnSink, TurnMetrics]:
        with KnowledgeStore(tmp_path / "store", settings=settings.knowledge) as store:
            stack = build_voice_stack(settings, retriever=open_retriever(store, settings))
            await warm_up(stack)
            sink = TurnSink()
            session = create_session(settings, stack, mode=CallMode.AUTONOMOUS, sink=sink, greeting="Hello.")
            session.events.subscribe(sink.observe)
            events = session.events.queue()
            caller = ScriptedCaller()
            caller.say(QUESTION, pcm=read_wav_16k(wav))
            runner = asyncio.create_task(session.run(caller.frames()))
            try:
                metrics = (await next_event(events, TurnMetricsEvent, timeout=60)).metrics
            finally:
                caller.hang_up()
                await asyncio.wait_for(runner, 20)
        return sink, metrics

    sink, metrics = asyncio.run(main())
    assert "30 days" in metrics.answer
    reply = bytes(sink.by_turn[1])
    assert len(reply) / 32000 > 1.0  # seconds of speech
    listener = WhisperSpeechToText(settings.stt.model_copy(update={"model": "tiny.en"}))  # the caller's ear
    heard = asyncio.run(listener.transcribe(reply)).text.lower()
    assert re.search(r"\b(30|thirty) days\b", heard), heard
    expected = {"stt": "moonshine", "retrieval": "sample", "llm": "offline", "tts": "hibari"}
    assert metrics.providers == expected
    assert metrics.voice_to_voice_ms is not None and metrics.stt_compute_ms is not None
