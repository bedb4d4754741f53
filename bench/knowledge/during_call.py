"""A live call's voice-to-voice while a knowledge base is being filled (issue #15: within 20 % of idle).

    .venv/bin/python -m bench.knowledge.during_call [--questions 10] [--chunks 6000]

The call is bench.voice's: spoken questions pushed in real time into an autonomous `CallSession`
(faster-whisper, the sample knowledge base, the offline responder, Piper). It runs twice: on an
otherwise idle machine, then while `earpiece kb add` fills another store with the synthetic corpus of
bench.knowledge.run (the desktop runs the same `KnowledgeStore.add`, on the same nice-10 worker).
While the ingest runs, the nice value of each of its threads and of its parser process is read
every half second. Results: bench/results/knowledge-during-call.json and .md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

from bench.background import Background
from bench.knowledge.run import write_corpus
from bench.voice.run import QUESTIONS, machine, run_calls, speak, summarise

RESULTS = Path(__file__).resolve().parents[1] / "results"
GOAL_RATIO = 1.2


class NiceWatch(Background):
    """Nice values seen in a process's threads and its children, sampled every half second."""

    def __init__(self, pid: int) -> None:
        super().__init__()
        self._process = psutil.Process(pid)
        self.threads: set[int] = set()
        self.children: set[int] = set()

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(0.5):
            try:
                for thread in self._process.threads():
                    self.threads.add(os.getpriority(os.PRIO_PROCESS, thread.id))
                self.children.update(c.nice() for c in self._process.children(recursive=True))
            except (psutil.Error, ProcessLookupError):
                return


def call(audio: list[bytes]) -> list[dict[str, Any]]:
    turns, _ = asyncio.run(run_calls(audio, True, 200))
    return turns


def during_ingest(
    audio: list[bytes], chunks: int, folder: Path
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    from earpiece.core.knowledge import KnowledgeReader

    corpus, store = folder / "corpus", folder / "store"
    corpus.mkdir()
    write_corpus(corpus, chunks)
    kb = [sys.executable, "-m", "earpiece", "kb", "--store", str(store)]
    subprocess.run([*kb, "create", "bulk"], check=True, capture_output=True, timeout=300)
    ingest = subprocess.Popen([*kb, "add", "--kb", "bulk", "--quiet", str(corpus)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        with NiceWatch(ingest.pid) as nice:
            with KnowledgeReader(store) as reader:  # the call starts once passages are being stored
                deadline = time.monotonic() + 300
                while not reader.documents("bulk") and time.monotonic() < deadline:
                    time.sleep(0.2)
                before, started = reader.info("bulk").chunks, time.monotonic()
                turns = call(audio)
                stored, elapsed = reader.info("bulk").chunks - before, time.monotonic() - started
            still_running = ingest.poll() is None
    finally:
        ingest.send_signal(signal.SIGINT)
        try:
            ingest.wait(timeout=60)
        except subprocess.TimeoutExpired:
            ingest.kill()
    return turns, {
        "ingest_chunks_stored_during_call": stored,
        "ingest_chunks_per_s_during_call": round(stored / elapsed, 1),
        "ingest_ran_through_the_whole_call": still_running,
        "ingest_thread_nice_values": sorted(nice.threads),
        "parser_process_nice_values": sorted(nice.children),
    }


def write_markdown(result: dict[str, Any], path: Path) -> None:
    idle, busy, ingest = result["idle"], result["ingesting"], result["ingest"]
    m = result["machine"]
    stages = [("voice_to_voice_ms", "voice-to-voice"), ("stt_ms", "speech recognition"),
              ("retrieval_ms", "retrieval"), ("tts_ttfb_ms", "TTS first audio")]
    lines = [
        "# A live call while a knowledge base is being filled", "",
        f"{result['when']} on {m['cpu']} ({m['cpus']} CPUs), load average at start "
        f"{m['load_average_at_start']}. {busy['turns']} spoken questions per run (bench.voice's call), "
        "first with nothing else running in the benchmark, then while `earpiece kb add` fills another "
        "store.", "",
        "| stage | idle p50 (ms) | ingesting p50 (ms) | idle p95 (ms) | ingesting p95 (ms) |",
        "|---|---|---|---|---|",
    ]
    for key, label in stages:
        a, b = idle["stages"][key], busy["stages"][key]
        lines.append(f"| {label} | {a['p50']} | {b['p50']} | {a['p95']} | {b['p95']} |")
    ratio = result["voice_to_voice_p50_ratio"]
    verdict = "within" if ratio <= GOAL_RATIO else "outside"
    lines += [
        "",
        f"**Voice-to-voice p50 while ingesting is {ratio:.2f}x idle: {verdict} the 20 % goal.**",
        "",
        f"- ingest during the call: {ingest['ingest_chunks_stored_during_call']} passages stored "
        f"({ingest['ingest_chunks_per_s_during_call']} /s); still running at the call's end: "
        f"{ingest['ingest_ran_through_the_whole_call']}",
        f"- nice values seen: ingest process threads {ingest['ingest_thread_nice_values']} (the main "
        f"thread waits at 0, the worker and its threads work at 10), parser process "
        f"{ingest['parser_process_nice_values']}",
        f"- answers with the expected fact: idle {idle['answers_with_fact']}/{idle['turns']}, "
        f"ingesting {busy['answers_with_fact']}/{busy['turns']}",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--chunks", type=int, default=6000, help="size of the corpus being ingested")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    questions = QUESTIONS[: args.questions]
    started_on = machine()
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-kb-call-") as home:
        for name in ("CONFIG", "DATA", "LOG", "CACHE"):
            os.environ[f"EARPIECE_{name}_DIR"] = str(Path(home) / name.lower())
        audio = speak(questions, "piper")
        print("call on an idle machine ...", flush=True)
        idle = call(audio)
        print("call while ingesting ...", flush=True)
        busy, ingest = during_ingest(audio, args.chunks, Path(home))
    idle_summary, busy_summary = summarise(idle, questions), summarise(busy, questions)
    ratio = (busy_summary["stages"]["voice_to_voice_ms"]["p50"]
             / idle_summary["stages"]["voice_to_voice_ms"]["p50"])
    result = {
        "when": time.strftime("%Y-%m-%d %H:%M"), "machine": started_on,
        "idle": idle_summary, "ingesting": busy_summary, "ingest": ingest,
        "voice_to_voice_p50_ratio": round(ratio, 3), "turns": {"idle": idle, "ingesting": busy},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "knowledge-during-call.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    write_markdown(result, args.out / "knowledge-during-call.md")
    print((args.out / "knowledge-during-call.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
