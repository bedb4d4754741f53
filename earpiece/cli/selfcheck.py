"""`earpiece selfcheck`: the offline voice path end to end, with no call, sound card or network.

It speaks a question with the bundled Piper voice, ingests the sample knowledge base into a
temporary store, and plays that question, in real time, into a call session built by the shipped
factory (`create_session`, autonomous mode, the configured recogniser, retriever, responder and
voice): the session transcribes it, retrieves passages and speaks its answer. It succeeds only when
the answer holds the expected fact and was spoken. The packaged app's test runs it to prove that the
bundle carries every model and native library it needs (see `packaging/`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS
from earpiece.core.settings import Settings, load_settings

if TYPE_CHECKING:
    from earpiece.core.engine import VoiceStack
    from earpiece.core.engine.metrics import TurnMetrics

QUESTION = "How many days do I have to return a product for a full refund?"
EXPECTED = "30 days"
SAMPLE_KB = "sample"
ANSWER_TIMEOUT_S = 120.0  # models load on first use: a slow machine's first turn takes a while
BYTES_PER_S = BYTES_PER_FRAME * 1000 // FRAME_MS

T = TypeVar("T")


class _Timer:
    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    async def stage(self, name: str, work: Callable[[], Awaitable[T]]) -> T:
        started = time.perf_counter()
        result = await work()
        self.seconds[name] = round(time.perf_counter() - started, 3)
        return result


async def _speak(settings: Settings, text: str) -> bytes:
    from earpiece.core.tts import PiperTextToSpeech

    return b"".join([chunk async for chunk in PiperTextToSpeech(settings.tts).synthesize(text)])


async def _call(settings: Settings, stack: VoiceStack, speech: bytes) -> tuple[TurnMetrics, float]:
    """One call through the shipped session: the caller asks once the greeting is over; returns
    the question's turn and how many seconds of speech Earpiece put into the call after it."""
    from earpiece.cli.offline_call import offline_call
    from earpiece.core.engine import CallRecorder
    from earpiece.core.settings import CallMode

    # The record is the selfcheck's and never saved: no call record in the user's history.
    recorder = CallRecorder("selfcheck", str(CallMode.AUTONOMOUS))

    async def answered() -> tuple[TurnMetrics, float]:
        async with offline_call(settings, stack, recorder=recorder) as call:
            await call.greeted()
            greeted = call.sink.bytes
            call.caller.say(speech)
            turn = await call.next_turn()
            return turn, (call.sink.bytes - greeted) / BYTES_PER_S

    try:
        return await asyncio.wait_for(answered(), ANSWER_TIMEOUT_S)
    except TimeoutError:
        raise RuntimeError(f"the session gave no answer within {ANSWER_TIMEOUT_S:g} s") from None


async def self_check(
    settings: Settings, question: str = QUESTION, expected: str = EXPECTED
) -> dict[str, Any]:
    """Run every stage; the result says what each stage produced and how long it took."""
    from earpiece.core.engine.factory import build_voice_stack, open_retriever
    from earpiece.core.knowledge.store import KnowledgeStore

    timer = _Timer()
    result: dict[str, Any] = {"ok": False, "question": question, "expected": expected}
    pcm = await timer.stage("tts", lambda: _speak(settings, question))
    result["speech_s"] = round(len(pcm) / BYTES_PER_S, 2)
    with (
        tempfile.TemporaryDirectory(prefix="earpiece-selfcheck-") as folder,
        KnowledgeStore(Path(folder), settings=settings.knowledge) as store,
    ):
        retriever = await timer.stage(
            "ingest", lambda: asyncio.to_thread(open_retriever, store, settings, SAMPLE_KB)
        )
        turn, reply_s = await _call(settings, build_voice_stack(settings, retriever=retriever), pcm)
    result["transcript"] = turn.question
    result["passages"] = [{"source": Path(source).name} for source in dict.fromkeys(turn.sources)]
    result["top_score"] = None if turn.top_score is None else round(turn.top_score, 3)
    result["answer"] = turn.answer
    result["reply_s"] = round(reply_s, 2)
    timer.seconds["stt"] = round((turn.stt_ms or 0.0) / 1000, 3)
    timer.seconds["retrieval"] = round((turn.retrieval_ms or 0.0) / 1000, 3)
    result["seconds"] = timer.seconds
    result["ok"] = expected.lower() in turn.answer.lower() and reply_s > 0
    return result


def _runtime() -> dict[str, Any]:
    """Where this process found Python: inside the bundle when frozen."""
    return {"frozen": bool(getattr(sys, "frozen", False)), "executable": sys.executable, "path": sys.path}


def run(args: argparse.Namespace) -> int:
    try:
        result = asyncio.run(self_check(load_settings(), args.question, args.expect))
    except Exception as exc:  # the report names the stage's failure instead of a traceback
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    result["runtime"] = _runtime()
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0 if result["ok"] else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("selfcheck")
    parser.add_argument("--question", default=QUESTION, help=f"what to ask (default: {QUESTION!r})")
    parser.add_argument(
        "--expect", default=EXPECTED, help=f"text the answer must hold (default: {EXPECTED!r})"
    )
    parser.set_defaults(func=run)
