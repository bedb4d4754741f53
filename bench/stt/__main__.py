"""Speech-recognition benchmark: WER and latency side by side, wideband and narrowband.

    .venv/bin/python -m bench.stt [--split test|dev|all] [--limit N] [--recognisers ...]
                                  [--hotwords none kb-all recurring] [--conditions ...]

Each spoken question (see speech.py) goes through each recogniser (see recognisers.py) with each
hotword set (see hotwords.py; Moonshine takes none). Per utterance: words wrong, wall time and
process CPU time of the call. Writes bench/results/stt.json (every utterance) and stt.md.
Latency is wall clock on this machine at the load printed: run it on a quiet machine for figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.stt.hotwords import HOTWORD_SETS, hotwords
from bench.stt.recognisers import RECOGNISERS, recogniser
from bench.stt.speech import CONDITIONS, Sample, questions, sample
from bench.stt.wer import errors
from earpiece.core.interfaces import SpeechToText
from earpiece.core.settings import SttSettings

RESULTS = Path(__file__).resolve().parents[1] / "results"
LENGTHS = (("< 2 s", 0.0, 2.0), ("2-4 s", 2.0, 4.0), (">= 4 s", 4.0, 1e9))
GOALS = {"wideband": 10.0, "narrowband": 30.0}  # WER %, issue 13


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def _run_one(stt: SpeechToText, item: Sample, hot: str | None) -> dict[str, Any]:
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


async def run(args: argparse.Namespace) -> dict[str, Any]:
    spoken = questions(args.split)
    if 0 < args.limit < len(spoken):  # evenly spaced, so every organisation and voice stays in
        spoken = [spoken[round(i * len(spoken) / args.limit)] for i in range(args.limit)]
    configs = [
        (r, h) for r in args.recognisers for h in args.hotwords if r.startswith("whisper") or h == "none"
    ]
    rows: list[dict[str, Any]] = []
    load_s: dict[str, float] = {}
    for name in args.recognisers:
        stt = recogniser(name, args.threads)
        start = time.perf_counter()
        await stt.load()  # type: ignore[attr-defined]
        load_s[name] = round(time.perf_counter() - start, 2)
        for condition in args.conditions:
            items = [sample(q, condition) for q in spoken]
            for hot_kind in (h for r, h in configs if r == name):
                for item in items:
                    row = await _run_one(stt, item, hotwords(item.question.org, hot_kind))
                    rows.append(row | {"recogniser": name, "hotwords": hot_kind})
                done = [
                    r
                    for r in rows
                    if r["recogniser"] == name and r["hotwords"] == hot_kind and r["condition"] == condition
                ]
                s = summarise(done)
                print(
                    f"{name:16} {hot_kind:10} {condition:10} WER {s['wer_pct']:5.1f} %  "
                    f"p50 {s['wall_ms_p50']} ms  p95 {s['wall_ms_p95']} ms  (n={s['utterances']})",
                    flush=True,
                )
    table = {
        f"{r}|{h}|{c}": summarise(
            [x for x in rows if (x["recogniser"], x["hotwords"], x["condition"]) == (r, h, c)]
        )
        for r, h in configs
        for c in args.conditions
    }
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "load_average_start": args.load_start,
        "load_average_end": [round(x, 2) for x in os.getloadavg()],
        "split": args.split,
        "questions": len(spoken),
        "threads": args.threads,
        "model_load_s": load_s,
        "hotword_sets": {
            h: {org: hotwords(org, h) for org in sorted({q.org for q in spoken})} for h in args.hotwords
        },
        "summary": table,
        "utterances": rows,
    }


def markdown(result: dict[str, Any], conditions: list[str]) -> str:
    lines = [
        "# Speech recognition: word error rate and latency",
        "",
        f"{result['when']} on {result['machine']}; load average {result['load_average_start']} at start, "
        f"{result['load_average_end']} at end. Split `{result['split']}`, {result['questions']} spoken "
        f"questions per condition; Whisper threads {result['threads']}. Latency is wall clock per utterance "
        "on this "
        "(shared) machine: compare rows, rerun on a quiet machine for absolute figures.",
        "",
        "| recogniser | hotwords | "
        + " | ".join(f"WER {c}" for c in conditions)
        + " | wall p50 / p95 (ms) | "
        + " | ".join(f"{label} p50/p95" for label, _, _ in LENGTHS)
        + " | CPU ms / utt. |",
        "|---|---|" + "---|" * (len(conditions) + 2 + len(LENGTHS)),
    ]
    keys = sorted(
        {k.rsplit("|", 1)[0] for k in result["summary"]},
        key=lambda k: list(result["summary"]).index(k + "|" + conditions[0]),
    )
    for key in keys:
        name, hot = key.split("|")
        first = result["summary"][f"{key}|{conditions[0]}"]
        wers = " | ".join(f"{result['summary'][f'{key}|{c}']['wer_pct']} %" for c in conditions)
        lengths = " | ".join(f"{b['p50']} / {b['p95']} (n={b['n']})" for b in first["by_length"].values())
        lines.append(
            f"| {name} | {hot} | {wers} | {first['wall_ms_p50']} / {first['wall_ms_p95']} | {lengths} | "
            f"{first['cpu_ms_mean']} |"
        )
    lines += [
        "",
        f"Latency columns are for `{conditions[0]}` audio. Goals (issue 13): WER <= "
        + ", ".join(f"{GOALS[c]:.0f} % {c}" for c in conditions if c in GOALS)
        + ".",
        "",
        "Hotword sets: `none`; `kb-all` = every distinctive word of the organisation's pages, ~400 "
        "characters (what the product passed before issue 13); `recurring` = at most 12 capitalised terms "
        "used at least 3 times, most widespread first (what it passes now). Moonshine takes no hotwords.",
        "",
        "Model load (s): " + ", ".join(f"{k} {v}" for k, v in result["model_load_s"].items()) + ".",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["dev", "test", "all"])
    parser.add_argument("--limit", type=int, default=0, help="only N evenly spaced questions (a smoke run)")
    parser.add_argument("--recognisers", nargs="+", default=list(RECOGNISERS), choices=RECOGNISERS)
    parser.add_argument("--hotwords", nargs="+", default=list(HOTWORD_SETS), choices=HOTWORD_SETS)
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    parser.add_argument("--threads", type=int, default=SttSettings().threads, help="Whisper CPU threads")
    parser.add_argument("--out", default="stt", help="file name stem under bench/results")
    args = parser.parse_args()
    args.load_start = [round(x, 2) for x in os.getloadavg()]
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(result, args.conditions), encoding="utf-8")
    print(markdown(result, args.conditions))


if __name__ == "__main__":
    main()
