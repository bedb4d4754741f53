"""Candidate recognisers and cheap narrowband front ends, on the spoken questions of bench.stt.

    .venv/bin/python -m bench.stt.candidates [--split dev|test|all] [--models moonshine-tiny ...]
        [--front-ends plain ...] [--conditions wideband narrowband] [--limit N] [--out NAME]

`--models` takes any `stt.model` value (moonshine-tiny, tiny.en, a CTranslate2 folder) or
`moonshine-base` (see moonshine_base.py: it grows the process by ~75 MB per utterance), run in
this process (`stt.workers = 0`) so the process CPU time is the model's.
`--front-ends` transform the 16 kHz audio before the recogniser (see FRONT_ENDS); tune them on
`dev`, report them on `test`. Writes bench/results/<out>.json (every utterance) and <out>.md.
CPU ms per utterance is process CPU time, which load inflates less than wall time; both are smoke
figures on a shared machine.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import numpy as np
import soxr

from bench.stt import harness
from bench.stt.moonshine_base import MoonshineBaseSpeechToText
from bench.stt.speech import Sample, sample
from earpiece.core.audio.pcm import float_to_pcm16, pcm16_to_float
from earpiece.core.interfaces import SpeechToText
from earpiece.core.settings import SttSettings
from earpiece.core.stt import speech_to_text


def _normalised(samples: np.ndarray) -> np.ndarray:
    """Peak at -3 dBFS (the caller's level varies; G.711 callers are often quiet)."""
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return samples * (0.7 / peak) if peak > 1e-4 else samples


def _pre_emphasis(alpha: float) -> Callable[[np.ndarray], np.ndarray]:
    """y[n] = x[n] - alpha x[n-1]: lifts the upper telephone band that G.711 audio lacks."""

    def apply(samples: np.ndarray) -> np.ndarray:
        out = samples.copy()
        out[1:] -= alpha * samples[:-1]
        return _normalised(out)

    return apply


def _folded(samples: np.ndarray) -> np.ndarray:
    """Cheap bandwidth extension: down to 8 kHz, back up by zero stuffing with no image filter,
    so 0-4 kHz is mirrored into 4-8 kHz where a wideband model expects some energy."""
    narrow = np.asarray(soxr.resample(samples, 16_000, 8_000), dtype=np.float32)
    wide = np.zeros(narrow.size * 2, dtype=np.float32)
    wide[::2] = narrow * 2
    return _normalised(wide)


def _resampled_vhq(samples: np.ndarray) -> np.ndarray:
    """Down to 8 kHz and up again with soxr's very-high-quality filter (what a better bridge
    resampler would hand the recogniser)."""
    narrow = soxr.resample(samples, 16_000, 8_000, quality="VHQ")
    return np.asarray(soxr.resample(narrow, 8_000, 16_000, quality="VHQ"), dtype=np.float32)


FRONT_ENDS: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
    "plain": None,
    "normalised": _normalised,
    "pre-emphasis-0.5": _pre_emphasis(0.5),
    "pre-emphasis-0.9": _pre_emphasis(0.9),
    "folded": _folded,
    "resampled-vhq": _resampled_vhq,
}


def through(front_end: str, item: Sample) -> Sample:
    transform = FRONT_ENDS[front_end]
    if transform is None:
        return item
    return Sample(item.question, item.condition, float_to_pcm16(transform(pcm16_to_float(item.pcm))))


def recogniser(model: str) -> SpeechToText:
    if model == MoonshineBaseSpeechToText.name:
        return MoonshineBaseSpeechToText()
    return speech_to_text(SttSettings(model=model, workers=0))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    spoken = harness.chosen_questions(args)
    rows: list[dict[str, Any]] = []
    load_s: dict[str, float] = {}
    for model in args.models:
        stt = recogniser(model)
        load_s[model] = await harness.load_seconds(stt)
        for condition in args.conditions:
            items = [sample(q, condition) for q in spoken]
            for front_end in args.front_ends:
                done = [await harness.run_one(stt, through(front_end, item), None) for item in items]
                rows += [r | {"recogniser": model, "front_end": front_end} for r in done]
                s = harness.summarise(done)
                print(
                    f"{model:16} {front_end:18} {condition:10} WER {s['wer_pct']:5.1f} %  "
                    f"CPU {s['cpu_ms_mean']} ms/utt.  wall p50 {s['wall_ms_p50']} ms  "
                    f"(n={s['utterances']}, load {os.getloadavg()[0]:.1f})",
                    flush=True,
                )
    summary = {
        f"{m}|{f}|{c}": harness.summarise(
            [r for r in rows if (r["recogniser"], r["front_end"], r["condition"]) == (m, f, c)]
        )
        for m in args.models
        for f in args.front_ends
        for c in args.conditions
    }
    return harness.result_header(args, spoken) | {
        "model_load_s": load_s,
        "summary": summary,
        "utterances": rows,
    }


def markdown(result: dict[str, Any], args: argparse.Namespace) -> str:
    lines = [
        "# Speech recognition candidates: word error rate and CPU per utterance",
        "",
        f"{result['when']}; load average {result['load_average_start']} at start, "
        f"{result['load_average_end']} at end (shared machine: CPU and wall figures are smoke). "
        f"Split `{result['split']}`, {result['questions']} spoken questions per condition.",
        "",
        "| model | front end | "
        + " | ".join(f"WER {c}" for c in args.conditions)
        + " | "
        + " | ".join(f"CPU ms/utt. {c}" for c in args.conditions)
        + " | wall p50 / p95 (ms) |",
        "|---|---|" + "---|" * (2 * len(args.conditions) + 1),
    ]
    for model in args.models:
        for front_end in args.front_ends:
            cells = [result["summary"][f"{model}|{front_end}|{c}"] for c in args.conditions]
            lines.append(
                f"| {model} | {front_end} | "
                + " | ".join(f"{s['wer_pct']} %" for s in cells)
                + " | "
                + " | ".join(f"{s['cpu_ms_mean']}" for s in cells)
                + f" | {cells[0]['wall_ms_p50']} / {cells[0]['wall_ms_p95']} |"
            )
    lines += [
        "",
        "Goals (issue 13): WER <= " + ", ".join(f"{v:.0f} % {k}" for k, v in harness.GOALS.items()) + ".",
        "Model load (s): " + ", ".join(f"{k} {v}" for k, v in result["model_load_s"].items()) + ".",
    ]
    return "\n".join(lines) + "\n"


def _own_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--models", nargs="+", default=["moonshine-tiny", "moonshine-base"])
    parser.add_argument("--front-ends", nargs="+", default=["plain"], choices=FRONT_ENDS)


def main() -> None:
    args = harness.parser(__doc__, _own_arguments, "stt-candidates").parse_args()
    harness.run_and_write(args, run, markdown)


if __name__ == "__main__":
    main()
