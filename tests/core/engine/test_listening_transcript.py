"""The transcript check in a live `Listener`: real Piper speech, paced in real time, transcribed at
each pause by the real recogniser (Moonshine), the verdict handed to the detector by the listener."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine
from typing import Any, cast

import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings
from earpiece.core.audio.turns import SpeechEnded, SpeechStarted
from earpiece.core.engine.answering import Answerer
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.events import EngineEvent, Speaker, TranscriptEvent
from earpiece.core.engine.listening import Heard, Listener
from earpiece.core.settings import VadSettings
from earpiece.core.stt import MoonshineSpeechToText
from tests.audio_gen import concat, piper_speech, silence
from tests.core.engine.harness import ToneTextToSpeech

pytestmark = pytest.mark.models
TURNS = TurnSettings(endpointing=Endpointing.TRANSCRIPT, complete_silence_ms=300, unfinished_silence_ms=3000)


class Ends:
    """A policy that only keeps the turn ends (and wants no early work of its own)."""

    def __init__(self) -> None:
        self.ended: list[SpeechEnded] = []

    def listens_to(self, speaker: Speaker) -> bool:
        return True

    def on_frame(self, listener: Listener, frame: AudioFrame, voiced: bool) -> None:
        pass

    def on_speech_started(self, listener: Listener, event: SpeechStarted) -> None:
        pass

    def wants_early(self, listener: Listener) -> bool:
        return False

    async def prepare(self, listener: Listener, heard: Heard) -> None:
        pass

    def on_speech_ended(self, listener: Listener, event: SpeechEnded) -> None:
        self.ended.append(event)


async def real_time(pcm: bytes) -> AsyncIterator[AudioFrame]:
    start = time.monotonic()
    for frame in split_frames(pcm, start):
        await asyncio.sleep(max(0.0, frame.captured_at - time.monotonic()))
        yield frame


def listen(pcm: bytes, vad: VadSettings, turns: TurnSettings) -> tuple[list[SpeechEnded], list[EngineEvent]]:
    """Play `pcm` into a caller's listener in real time; the turn ends and the published events."""
    policy, published = Ends(), cast(list[EngineEvent], [])

    async def main() -> None:
        stt = MoonshineSpeechToText()
        await stt.load()  # as the session's warm-up does
        answerer = cast(Answerer, None)  # listening never answers
        stack = VoiceStack(stt, ToneTextToSpeech(), answerer, vad, turns)
        tasks: set[asyncio.Task[Any]] = set()

        def spawn(coroutine: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
            task = asyncio.create_task(coroutine)
            tasks.add(task)
            return task

        listener = Listener(Speaker.CALLER, stack, EngineConfig(), lambda: policy, published.append, spawn)
        await listener.run(real_time(pcm))
        await asyncio.gather(*tasks, return_exceptions=True)

    asyncio.run(main())
    return policy.ended, published


def test_a_finished_question_ends_long_before_the_timer() -> None:
    question = piper_speech("When are you open on Saturday?")
    pcm = concat(silence(300), question, silence(2500))
    ended, published = listen(pcm, VadSettings(end_of_turn_ms=2000), TURNS)
    (turn,) = ended
    delay_ms = (turn.detected_at - turn.utterance.end_of_speech_at) * 1000
    assert turn.by_model, f"the turn ended by the timer after {delay_ms:.0f} ms"
    # frame times are float seconds: the 300 ms wait can come out as 299.99999999 ms
    assert TURNS.complete_silence_ms <= round(delay_ms) < 2000
    assert turn.turn_model_ms is not None and turn.turn_model_ms > 0  # the transcript's time
    # the policy wanted no early work: no partial transcript line was published for it
    assert not [e for e in published if isinstance(e, TranscriptEvent)]


def test_an_unfinished_pause_is_waited_out_past_the_timer() -> None:
    first, rest = piper_speech("I need to change my, uh,"), piper_speech("delivery address.")
    pcm = concat(silence(300), first, silence(1600), rest, silence(2500))
    ended, _ = listen(pcm, VadSettings(end_of_turn_ms=1200), TURNS)  # the timer alone ends it in the pause
    (turn,) = ended
    assert turn.utterance.duration_s > (len(first) + len(rest)) / 32_000
