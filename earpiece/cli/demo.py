"""`earpiece demo-caller`: the embedded caller of the desktop app's demo call.

A second process (pjsua2 allows one endpoint per process) that calls the app on 127.0.0.1,
waits for the greeting, asks questions about the bundled sample knowledge base in the Piper
voice, listens to each answer until it ends, then says goodbye and hangs up.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import pcm16_to_float
from earpiece.core.settings import AccountSettings, TtsSettings
from earpiece.core.tts.piper import load_piper_voice, piper_pcm16k

if TYPE_CHECKING:
    from earpiece.sip.engine import SipEngine

log = logging.getLogger(__name__)

QUESTIONS = (
    "How much does delivery cost?",
    "How many days do I have to return a product?",
    "Do you deliver outside the UK?",
)
GOODBYE = "Thank you, that's all. Goodbye."
SPEECH_DBFS = -40.0  # a 20 ms frame louder than this is the app speaking
END_OF_REPLY_S = 1.6  # this much quiet after speech: the reply is over


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("demo-caller")
    parser.add_argument("target", help="the app's SIP URI, e.g. sip:earpiece-demo@127.0.0.1:5060")
    parser.add_argument("--question", action="append", help="a question to ask (repeatable)")
    parser.add_argument("--answer-timeout", type=float, default=30.0, help="seconds to wait per answer")
    parser.add_argument("--greeting-timeout", type=float, default=30.0,
                        help="seconds to wait for the greeting before the first question")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    questions = args.question or QUESTIONS
    return asyncio.run(call(args.target, questions, args.answer_timeout, args.greeting_timeout))


def _dbfs(frame: AudioFrame) -> float:
    samples = pcm16_to_float(frame.pcm)
    return 20 * float(np.log10(max(float(np.sqrt(np.mean(samples * samples))), 1e-9)))


async def wait_for_reply(frames: AsyncIterator[AudioFrame], timeout: float) -> float:
    """Wait until the other side has spoken and then been quiet; returns seconds of speech heard."""
    deadline = time.monotonic() + timeout
    heard = 0.0
    quiet = 0.0
    while time.monotonic() < deadline:
        try:
            frame = await asyncio.wait_for(anext(frames), max(0.1, deadline - time.monotonic()))
        except (TimeoutError, StopAsyncIteration):
            break
        if _dbfs(frame) > SPEECH_DBFS:
            heard += 0.02
            quiet = 0.0
        elif heard:
            quiet += 0.02
            if quiet >= END_OF_REPLY_S:
                break
    return heard


async def call(target: str, questions: Sequence[str], answer_timeout: float, greeting_timeout: float) -> int:
    from earpiece.sip.config import EngineConfig
    from earpiece.sip.engine import SipEngine

    voice = await asyncio.to_thread(load_piper_voice, TtsSettings())
    speech = [b"".join(piper_pcm16k(voice, text, varied=False)) for text in (*questions, GOODBYE)]
    with tempfile.TemporaryDirectory(prefix="earpiece-demo-caller-") as scratch:
        # The caller's side of the call stays out of the user's call history.
        config = EngineConfig(bind_address="127.0.0.1", udp_port=0, tcp_port=None,
                              history_path=Path(scratch) / "call_history.jsonl")
        return await _call(SipEngine(config), target, questions, speech, answer_timeout, greeting_timeout)


async def _call(engine: SipEngine, target: str, questions: Sequence[str], speech: list[bytes],
                answer_timeout: float, greeting_timeout: float) -> int:
    loop = asyncio.get_running_loop()
    engine.start()
    from earpiece.sip.events import CallState, CallStateChanged, SipEvent

    connected = asyncio.Event()
    ended = asyncio.Event()

    def on_event(event: SipEvent) -> None:  # SIP thread
        if isinstance(event, CallStateChanged):
            if event.state is CallState.CONFIRMED:
                loop.call_soon_threadsafe(connected.set)
            elif event.state is CallState.DISCONNECTED:
                print(f"demo: call ended: {event.reason}", flush=True)
                loop.call_soon_threadsafe(ended.set)

    engine.subscribe(on_event)
    try:
        account = AccountSettings(id="demo-caller", username="demo-caller", domain="127.0.0.1",
                                  registration=False)
        engine.add_account(account, password="").result(10)
        call_id = engine.make_call(account.id, target).result(10)
        await asyncio.wait_for(connected.wait(), 60)
        audio = engine.call_audio(call_id)
        frames = audio.frames()
        print("demo: connected; waiting for the greeting", flush=True)
        await wait_for_reply(frames, greeting_timeout)
        for text, pcm in zip((*questions, GOODBYE), speech, strict=True):
            if ended.is_set():
                break
            print(f"demo: asking: {text}", flush=True)
            audio.sink.write(pcm)
            while audio.sink.pending_ms() > 0 and not ended.is_set():
                await asyncio.sleep(0.05)
            if text != GOODBYE:
                heard = await wait_for_reply(frames, answer_timeout)
                print(f"demo: heard {heard:.1f} s of answer", flush=True)
        await asyncio.sleep(1.5)
        if not ended.is_set():
            engine.hangup(call_id).result(5)
            await asyncio.wait_for(ended.wait(), 5)
        return 0
    except TimeoutError:
        print("demo: the app did not answer in time", flush=True)
        return 1
    finally:
        engine.stop()


