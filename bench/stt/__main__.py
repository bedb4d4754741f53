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
import os
import platform
from typing import Any

from bench.stt.harness import (
    GOALS,
    LENGTHS,
    chosen_questions,
    load_seconds,
    parser,
    result_header,
    run_and_write,
    run_one,
    summarise,
)
from bench.stt.hotwords import HOTWORD_SETS, hotwords
from bench.stt.recognisers import RECOGNISERS, recogniser
from bench.stt.speech import sample
from earpiece.core.settings import SttSettings


async def run(args: argparse.Namespace) -> dict[str, Any]:
    spoken = chosen_questions(args)
    configs = [
        (r, h) for r in args.recognisers for h in args.hotwords if r.startswith("whisper") or h == "none"
    ]
    rows: list[dict[str, Any]] = []
    load_s: dict[str, float] = {}
    for name in args.recognisers:
        stt = recogniser(name, args.threads)
        load_s[name] = await load_seconds(stt)
        for condition in args.conditions:
            items = [sample(q, condition) for q in spoken]
            for hot_kind in (h for r, h in configs if r == name):
                for item in items:
                    row = await run_one(stt, item, hotwords(item.question.org, hot_kind))
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
    return result_header(args, spoken) | {
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "threads": args.threads,
        "model_load_s": load_s,
        "hotword_sets": {
            h: {org: hotwords(org, h) for org in sorted({q.org for q in spoken})} for h in args.hotwords
        },
        "summary": table,
        "utterances": rows,
    }


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    conditions = args.conditions
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


def _own_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--recognisers", nargs="+", default=list(RECOGNISERS), choices=RECOGNISERS)
    parser.add_argument("--hotwords", nargs="+", default=list(HOTWORD_SETS), choices=HOTWORD_SETS)
    parser.add_argument("--threads", type=int, default=SttSettings().threads, help="Whisper CPU threads")


def main() -> None:
    run_and_write(parser(__doc__, _own_arguments, "stt").parse_args(), run, markdown)


if __name__ == "__main__":
    main()
