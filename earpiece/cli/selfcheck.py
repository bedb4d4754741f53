"""`earpiece selfcheck`: the offline voice path end to end, with no call, sound card or network.

It speaks a question with the bundled Piper voice, transcribes that audio with the bundled Whisper
model, ingests the sample knowledge base into a temporary store, retrieves passages for the
transcript and answers with the offline responder; it succeeds only when the answer holds the
expected fact. The packaged app's test runs it to prove that the bundle carries every model and
native library it needs (see `packaging/`).
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
from typing import Any, TypeVar

from earpiece.core.settings import Settings, load_settings

QUESTION = "How many days do I have to return a product for a full refund?"
EXPECTED = "30 days"
SAMPLE_KB = "sample"

T = TypeVar("T")


def sample_kb_folder() -> Path:
    from earpiece.core.paths import resources_dir

    return resources_dir() / "kb" / SAMPLE_KB


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


async def _transcribe(settings: Settings, pcm16k: bytes, vocabulary: list[str]) -> str:
    from earpiece.core.stt import WhisperSpeechToText

    transcript = await WhisperSpeechToText(settings.stt, vocabulary=vocabulary).transcribe(pcm16k)
    return transcript.text


async def self_check(
    settings: Settings, question: str = QUESTION, expected: str = EXPECTED
) -> dict[str, Any]:
    """Run every stage; the result says what each stage produced and how long it took."""
    from earpiece.core.interfaces import AnswerRequest
    from earpiece.core.knowledge.store import KnowledgeStore
    from earpiece.core.llm.offline import OfflineResponder

    timer = _Timer()
    result: dict[str, Any] = {"ok": False, "question": question, "expected": expected}
    pcm = await timer.stage("tts", lambda: _speak(settings, question))
    result["speech_s"] = round(len(pcm) / 32000, 2)
    with tempfile.TemporaryDirectory(prefix="earpiece-selfcheck-") as folder:
        store = KnowledgeStore(Path(folder), settings=settings.knowledge)
        try:
            store.create(SAMPLE_KB)
            report = await timer.stage(
                "ingest", lambda: asyncio.to_thread(store.add, SAMPLE_KB, [sample_kb_folder()])
            )
            if report.failed:
                errors = "; ".join(r.error for r in report.failed)
                raise RuntimeError(f"the sample knowledge base did not ingest: {errors}")
            vocabulary = store.vocabulary(SAMPLE_KB)
            heard = await timer.stage("stt", lambda: _transcribe(settings, pcm, vocabulary))
            result["transcript"] = heard
            top_k = settings.knowledge.top_k
            found = await timer.stage(
                "retrieval", lambda: asyncio.to_thread(store.search, SAMPLE_KB, heard, top_k)
            )
        finally:
            store.close()
    result["passages"] = [{"source": Path(p.source).name, "score": round(p.score, 3)} for p in found.passages]
    responder = OfflineResponder(min_score=settings.knowledge.min_score)
    answer = responder.answer(AnswerRequest(question=heard, passages=found.passages))
    result["answer"] = answer
    result["seconds"] = timer.seconds
    result["ok"] = expected.lower() in answer.lower()
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
    parser = subparsers.add_parser(
        "selfcheck",
        help="speak, transcribe and answer one question from the sample knowledge base, offline",
    )
    parser.add_argument("--question", default=QUESTION, help=f"what to ask (default: {QUESTION!r})")
    parser.add_argument(
        "--expect", default=EXPECTED, help=f"text the answer must hold (default: {EXPECTED!r})"
    )
    parser.set_defaults(func=run)
