"""Offline voices side by side: Piper (the default) and hibari, on real answer sentences.

    .venv/bin/python -m bench.voice.tts_compare [--limit N] [--stt MODEL ...] [--out NAME]

Sentences: what the offline answerer said in bench/results/answers.json (knowledge-base units of
several organisations: prices, phone numbers, opening times), split and normalised for speech as
`speak_text` hands them to a voice; the ones with digits first. Per voice and sentence: time to the
first audio chunk through the provider's own `synthesize` (the reply's wait), real-time factor and
process CPU per second of audio; then intelligibility: the project's recogniser (default: the
settings' `stt.model`, in this process) transcribes the sentence as a call would hear it, wideband
(16 kHz) and narrowband (G.711 with noise, as bench.stt makes it), and the word error rate is
taken against the text after bench.stt's normalisation, plus one rule: digits the recogniser
writes in hyphenated groups ("1-800-772-1213") count as read digit by digit, as the voices read
phone numbers (bench.stt would make "800" "eight hundred"). Latency and CPU depend on the machine's
load (reported); the word error rates do not. Writes bench/results/<out>.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from num2words import num2words

from bench.stt.speech import telephone_band
from bench.stt.wer import errors
from earpiece.core.interfaces import SpeechToText, TextToSpeech
from earpiece.core.settings import SttSettings, TtsSettings
from earpiece.core.stt.pool import in_process_recogniser
from earpiece.core.tts import PiperTextToSpeech, normalize_for_speech, split_sentences
from earpiece.core.tts.hibari import HibariTextToSpeech
from tests.audio_gen import concat, silence

PHONE_DIGITS = re.compile(r"\b\d+(?:-\d+)+")
RESULTS = Path(__file__).resolve().parents[1] / "results"
ANSWERS = RESULTS / "answers.json"
CONDITIONS = ("wideband", "narrowband")
MAX_CHARS = 200  # longer units are cut mid-word in answers.json


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def answer_sentences(limit: int) -> list[tuple[str, bool]]:
    """Distinct spoken sentences of the answer benchmark, normalised for speech, each with whether
    it held digits (a price, a phone number, a time) before; those come first."""
    runs = json.loads(ANSWERS.read_text(encoding="utf-8"))["runs"]
    said = [a["said"] for run in runs for a in run["answers"] if not a["declined"] and a["said"]]
    raw = dict.fromkeys(s for text in said for s in split_sentences(text) if 20 <= len(s) <= MAX_CHARS)
    with_digits = sorted(s for s in raw if re.search(r"\d", s))
    without = sorted(s for s in raw if not re.search(r"\d", s))
    chosen = with_digits[: limit * 2 // 3] + without[: limit - min(len(with_digits), limit * 2 // 3)]
    return [(normalize_for_speech(s), bool(re.search(r"\d", s))) for s in chosen]


async def synthesize(tts: TextToSpeech, text: str) -> dict[str, Any]:
    cpu, start = _cpu_s(), time.perf_counter()
    first_ms: float | None = None
    chunks: list[bytes] = []
    async for chunk in tts.synthesize(text):
        if first_ms is None:
            first_ms = (time.perf_counter() - start) * 1000
        chunks.append(chunk)
    wall_s, cpu_s = time.perf_counter() - start, _cpu_s() - cpu
    pcm = b"".join(chunks)
    audio_s = len(pcm) / 32_000
    return {
        "pcm": pcm,
        "first_audio_ms": round(first_ms or 0.0, 1),
        "audio_s": round(audio_s, 2),
        "rtf": round(wall_s / audio_s, 4),
        "cpu_per_audio_s": round(cpu_s / audio_s, 4),
    }


def _digit_by_digit(match: re.Match[str]) -> str:
    return " ".join(num2words(int(c)) for c in match.group() if c.isdigit())


async def intelligibility(stt: SpeechToText, text: str, pcm: bytes) -> dict[str, Any]:
    padded = concat(silence(300), pcm, silence(300))  # as bench.stt hears its questions
    out: dict[str, Any] = {}
    for condition in CONDITIONS:
        heard = padded
        if condition == "narrowband":
            heard = telephone_band(padded, seed=zlib.crc32(text.encode()))
        hypothesis = (await stt.transcribe(heard)).text
        wrong, words = errors(text, PHONE_DIGITS.sub(_digit_by_digit, hypothesis))
        out[condition] = {"hypothesis": hypothesis, "errors": wrong, "words": words}
    return out


def _pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 1)


def summarise(rows: list[dict[str, Any]], stt_models: list[str]) -> dict[str, Any]:
    first = [r["first_audio_ms"] for r in rows]
    out: dict[str, Any] = {
        "first_audio_ms_p50": _pct(first, 50),
        "first_audio_ms_p95": _pct(first, 95),
        "rtf_p50": round(float(np.median([r["rtf"] for r in rows])), 4),
        "cpu_per_audio_s_p50": round(float(np.median([r["cpu_per_audio_s"] for r in rows])), 4),
        "audio_s_total": round(sum(r["audio_s"] for r in rows), 1),
    }
    for model in stt_models:
        for condition in CONDITIONS:
            for subset, keep in (("", lambda r: True), ("_digits", lambda r: r["has_digits"])):
                scored = [r["heard"][model][condition] for r in rows if keep(r)]
                words = sum(s["words"] for s in scored)
                wer = 100 * sum(s["errors"] for s in scored) / words if words else 0.0
                out[f"wer_{model}_{condition}{subset}"] = round(wer, 1)
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    sentences = answer_sentences(args.limit)
    load_start = [round(x, 2) for x in os.getloadavg()]
    voices: dict[str, PiperTextToSpeech | HibariTextToSpeech] = {
        "piper": PiperTextToSpeech(TtsSettings()),
        "hibari": HibariTextToSpeech(TtsSettings()),
    }
    load_s: dict[str, float] = {}
    for name, tts in voices.items():
        start = time.perf_counter()
        await tts.load()
        load_s[name] = round(time.perf_counter() - start, 2)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in voices}
    for sentence, has_digits in sentences:  # the voices take turns, so both meet the same load
        for name, tts in voices.items():
            rows[name].append({"text": sentence, "has_digits": has_digits, **await synthesize(tts, sentence)})
    recognisers = {model: in_process_recogniser(SttSettings(model=model, workers=0)) for model in args.stt}
    for model, stt in recognisers.items():
        for name in voices:
            for row in rows[name]:
                row.setdefault("heard", {})[model] = await intelligibility(stt, row["text"], row["pcm"])
    for name in voices:
        for row in rows[name]:
            del row["pcm"]
    return {
        "machine": os.uname().nodename,
        "cores": os.cpu_count(),
        "load_start": load_start,
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "sentences": len(sentences),
        "with_numbers": sum(has_digits for _, has_digits in sentences),
        "stt_models": args.stt,
        "load_s": load_s,
        "summary": {name: summarise(rows[name], args.stt) for name in voices},
        "rows": rows,
    }


def markdown(result: dict[str, Any]) -> str:
    models = result["stt_models"]
    head = ["voice", "load s", "first audio p50 / p95 ms", "RTF p50", "CPU s per audio s"]
    head += [f"WER {m} {c} (numbers)" for m in models for c in CONDITIONS]
    lines = [
        "# Offline voices: Piper and hibari on answer sentences",
        "",
        f"{result['sentences']} sentences of bench/results/answers.json ({result['with_numbers']} with "
        f"numbers), normalised for speech. Machine {result['machine']}, {result['cores']} cores, load "
        f"{result['load_start']} -> {result['load_end']} (shared: latency and CPU are smoke figures; "
        "WER does not depend on load). WER: all sentences, in brackets those with numbers; "
        'digits written in hyphenated groups ("1-800-772-1213") count as read one by one.',
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for name, s in result["summary"].items():
        cells = [
            name,
            f"{result['load_s'][name]:.2f}",
            f"{s['first_audio_ms_p50']:.0f} / {s['first_audio_ms_p95']:.0f}",
            f"{s['rtf_p50']:.3f}",
            f"{s['cpu_per_audio_s_p50']:.3f}",
        ]
        cells += [
            f"{s[f'wer_{m}_{c}']:.1f} % ({s[f'wer_{m}_{c}_digits']:.1f} %)"
            for m in models
            for c in CONDITIONS
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=40, help="number of sentences")
    parser.add_argument("--stt", nargs="+", default=[SttSettings().model], help="recogniser models")
    parser.add_argument("--out", default="tts_compare", help="file name stem under bench/results")
    args = parser.parse_args()
    result = asyncio.run(run(args))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    text = markdown(result)
    (RESULTS / f"{args.out}.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
