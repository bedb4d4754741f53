"""What the two speech-recognition benchmarks (bench.stt and bench.stt.candidates) share: one
utterance measured (words wrong, wall and process CPU time), the summary of a set of them, the
question subset, the common arguments, and writing bench/results/<out>.json and .md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import numpy as np

from bench.stt.speech import CONDITIONS, Sample, SpokenQuestion, questions
from bench.stt.wer import errors
from earpiece.core.interfaces import SpeechToText

RESULTS = Path(__file__).resolve().parents[1] / "results"
LENGTHS = (("< 2 s", 0.0, 2.0), ("2-4 s", 2.0, 4.0), (">= 4 s", 4.0, 1e9))
GOALS = {"wideband": 10.0, "narrowband": 30.0}  # WER %, issue 13


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def run_one(stt: SpeechToText, item: Sample, hot: str | None) -> dict[str, Any]:
    cpu, start = _cpu_s(), time.perf_counter()
    transcript = await stt.transcribe(item.pcm, hotwords=hot)
    wall_ms, cpu_ms = (time.perf_counter() - start) * 1000, (_cpu_s() - cpu) * 1000
    wrong, words = errors(item.question.text, transcript.text)
    q = item.question
    return {
        "id": q.id,
        "org": q.org,
        "voice": q.voice,
        "condition": item.condition,
        "reference": q.text,
        "hypothesis": transcript.text,
        "errors": wrong,
        "words": words,
        "audio_s": round(item.duration_s, 2),
        "wall_ms": round(wall_ms, 1),
        "cpu_ms": round(cpu_ms, 1),
    }


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 1) if values else None


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    words = sum(r["words"] for r in rows)
    out: dict[str, Any] = {
        "utterances": len(rows),
        "wer_pct": round(100 * sum(r["errors"] for r in rows) / words, 1) if words else None,
        "wall_ms_p50": _pct([r["wall_ms"] for r in rows], 50),
        "wall_ms_p95": _pct([r["wall_ms"] for r in rows], 95),
        "cpu_ms_mean": round(float(np.mean([r["cpu_ms"] for r in rows])), 1) if rows else None,
        "by_length": {},
    }
    for label, low, high in LENGTHS:
        inside = [r["wall_ms"] for r in rows if low <= r["audio_s"] < high]
        out["by_length"][label] = {"n": len(inside), "p50": _pct(inside, 50), "p95": _pct(inside, 95)}
    return out


def chosen_questions(args: argparse.Namespace) -> list[SpokenQuestion]:
    """The split's questions, or `--limit` evenly spaced ones (so every organisation and voice stays in)."""
    spoken = questions(args.split)
    if 0 < args.limit < len(spoken):
        spoken = [spoken[round(i * len(spoken) / args.limit)] for i in range(args.limit)]
    return spoken


async def load_seconds(stt: SpeechToText) -> float:
    start = time.perf_counter()
    await stt.load()  # type: ignore[attr-defined]
    return round(time.perf_counter() - start, 2)


def result_header(args: argparse.Namespace, spoken: list[SpokenQuestion]) -> dict[str, Any]:
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_average_start": args.load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "split": args.split,
        "questions": len(spoken),
    }


def parser(doc: str, add_own: Callable[[argparse.ArgumentParser], None], out: str) -> argparse.ArgumentParser:
    """--split, --limit, the benchmark's own arguments (`add_own`), --conditions, --out."""
    parsed = argparse.ArgumentParser(description=doc.splitlines()[0])
    parsed.add_argument("--split", default="test", choices=["dev", "test", "all"])
    parsed.add_argument("--limit", type=int, default=0, help="only N evenly spaced questions (a smoke run)")
    add_own(parsed)
    parsed.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    parsed.add_argument("--out", default=out, help="file name stem under bench/results")
    return parsed


def run_and_write(
    args: argparse.Namespace,
    run: Callable[[argparse.Namespace], Coroutine[Any, Any, dict[str, Any]]],
    markdown: Callable[[dict[str, Any], argparse.Namespace], str],
) -> None:
    """Run the benchmark, write bench/results/<out>.json and <out>.md, print the markdown."""
    args.load_start = [round(x, 2) for x in os.getloadavg()]
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    text = markdown(result, args)
    (RESULTS / f"{args.out}.md").write_text(text, encoding="utf-8")
    print(text)
