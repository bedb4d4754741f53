"""Knowledge-store benchmark: ingest throughput, query latency (p50/p95), peak memory, a big text
and a long PDF streamed, the parser process's cost per small file, and how much a foreground task
slows down while ingestion runs.

    .venv/bin/python -m bench.knowledge.run [--sizes 1000 10000] [--queries 200] [--stream-mb 5]
                                            [--pdf-pages 500]

Each size runs in its own child process (so peak RSS is that size's), on a synthetic corpus of
markdown files with one ~300-character passage per section. Results go to
bench/results/knowledge.json and knowledge.md.

"Foreground" is a stand-in for a live call, not a call: a normal-priority thread embedding one
question every 100 ms (ONNX inference on the caller's thread, like the call's speech recognition),
timed with the machine otherwise idle and then while the ingestion runs (its threads at nice 10).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.background import Background

RESULTS = Path(__file__).resolve().parents[1] / "results"
SECTIONS_PER_FILE = 50
WORDS = [
    "invoice", "delivery", "courier", "warranty", "repair", "refund", "voucher", "account", "password",
    "router", "modem", "tariff", "contract", "upgrade", "battery", "charger", "screen", "keyboard",
    "printer", "cartridge", "engineer", "appointment", "meter", "boiler", "radiator", "thermostat",
    "leak", "valve", "filter", "subscription", "bundle", "roaming", "broadband",
]


def passage(rng: random.Random, n: int) -> str:
    topic = " ".join(rng.sample(WORDS, 3))
    return (
        f"Item {n} concerns the {topic}. Customers asking about the {rng.choice(WORDS)} should be told "
        f"that case {n} is handled within {rng.randint(1, 30)} days by team {rng.randint(1, 99)}, "
        f"and that the {rng.choice(WORDS)} costs {rng.randint(5, 500)} pounds including the "
        f"{rng.choice(WORDS)} and the {rng.choice(WORDS)}."
    )


def write_corpus(folder: Path, chunks: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for f in range(0, chunks, SECTIONS_PER_FILE):
        lines = [f"# Manual {f // SECTIONS_PER_FILE}"]
        for n in range(f, min(f + SECTIONS_PER_FILE, chunks)):
            lines += [f"## Section {n}", passage(rng, n)]
        (folder / f"manual-{f // SECTIONS_PER_FILE:04d}.md").write_text("\n\n".join(lines))


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


class Foreground(Background):
    """A normal-priority thread embedding one question every 100 ms; latencies in ms."""

    def __init__(self, embed: Callable[[list[str]], object]) -> None:
        super().__init__()
        self._embed = embed
        self.latencies: list[float] = []

    def run(self, stop: threading.Event) -> None:
        while not stop.wait(0.1):
            started = time.perf_counter()
            self._embed(["how long does the courier take to deliver a replacement router"])
            self.latencies.append((time.perf_counter() - started) * 1000)

    def p50(self) -> float:
        return round(statistics.median(self.latencies), 1) if self.latencies else 0.0


def measure(size: int, queries: int) -> dict[str, float | int]:
    """One size, in this process."""
    from earpiece.core.knowledge import KnowledgeStore

    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        folder, root = Path(tmp) / "corpus", Path(tmp) / "store"
        folder.mkdir()
        write_corpus(folder, size)
        started = time.perf_counter()
        with KnowledgeStore(root) as store:
            store.create("bench")
            store.index  # noqa: B018  # opened (model loaded) before the timing
            opened = time.perf_counter()
            with Foreground(store.embedder.embed) as idle:
                time.sleep(5)
            cpu_before = time.process_time()
            with Foreground(store.embedder.embed) as busy:
                report = store.add("bench", [folder])
            ingest_cpu_s = time.process_time() - cpu_before  # this process's threads (not the parser's)
            ingest_s = report.seconds
            parse_ms = parse_cost_ms(store, folder)
            chunks = store.info("bench").chunks
            questions = [
                f"how long does the {rng.choice(WORDS)} {rng.choice(WORDS)} take for case {n}"
                for n in rng.sample(range(size), queries)
            ]
            cold = store.search("bench", "warm-up question about a refund", 3).total_ms
            totals, embeds, lookups = [], [], []
            for question in questions:
                result = store.search("bench", question, 3)
                totals.append(result.total_ms)
                embeds.append(result.embed_ms)
                lookups.append(result.query_ms)
        closed = time.perf_counter()
        reopen_started = time.perf_counter()
        with KnowledgeStore(root) as store:
            store.search("bench", "first query after reopening", 3)
        reopen_ms = (time.perf_counter() - reopen_started) * 1000
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "chunks": chunks,
        "files": len(report.results),
        "ingest_s": round(ingest_s, 2),
        "ingest_chunks_per_s": round(chunks / ingest_s, 1),
        "ingest_cpu_ms_per_chunk": round(1000 * ingest_cpu_s / chunks, 2),
        "store_open_ms": round((opened - started) * 1000, 1),
        "first_query_ms": round(cold, 1),
        "query_p50_ms": round(statistics.median(totals), 2),
        "query_p95_ms": round(percentile(totals, 95), 2),
        "embed_p50_ms": round(statistics.median(embeds), 2),
        "index_p50_ms": round(statistics.median(lookups), 2),
        "index_p95_ms": round(percentile(lookups, 95), 2),
        "reopen_and_first_query_ms": round(reopen_ms, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "total_s": round(closed - started, 1),
        "foreground_idle_p50_ms": idle.p50(),
        "foreground_ingesting_p50_ms": busy.p50(),
        **parse_ms,
    }


def parse_cost_ms(store: object, folder: Path) -> dict[str, float]:
    """A small file parsed in this process vs through the store's parser process (median of 20)."""
    from earpiece.core.knowledge.readers import read_document

    parser = store._parser  # type: ignore[attr-defined]  # the store's own parser process
    path = next(folder.iterdir())
    inline, child = [], []
    for _ in range(20):
        started = time.perf_counter()
        read_document(path)
        inline.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        parser.parse(path)
        child.append((time.perf_counter() - started) * 1000)
    return {"parse_inline_ms": round(statistics.median(inline), 2),
            "parse_child_ms": round(statistics.median(child), 2)}


def measure_stream(megabytes: float) -> dict[str, float | int]:
    """A plain-text file of `megabytes` of distinct passages: throughput, first progress, peak RSS."""
    rng = random.Random(3)
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "manual.txt"
        with big.open("w") as file:
            n = 0
            while file.tell() < megabytes * 1e6:
                if n % 20 == 0:
                    file.write(f"Chapter {n // 20}\n\n")
                file.write(passage(rng, n) + "\n\n")
                n += 1
        return {"stream_mb": megabytes, **stream_file(big, "stream")}


def measure_pdf_stream(pages: int) -> dict[str, float | int]:
    """A PDF of `pages` pages, four distinct passages each: the same figures as `measure_stream`."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    rng, body = random.Random(5), getSampleStyleSheet()["BodyText"]
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "manual.pdf"
        story = [flowable for page in range(pages) for flowable in
                 (*(Paragraph(passage(rng, page * 4 + n), body) for n in range(4)), PageBreak())]
        SimpleDocTemplate(str(pdf), title="Manual").build(story)
        return {"pdf_pages": pages, **stream_file(pdf, "pdf")}


def stream_file(path: Path, prefix: str) -> dict[str, float | int]:
    """Ingest one big file into a fresh store (in the file's folder): seconds to the first progress
    report and to the first stored passages, throughput, peak RSS of this process."""
    from earpiece.core.knowledge import KnowledgeStore, Progress

    with KnowledgeStore(path.parent / "store") as store:
        store.create("stream")
        store.index  # noqa: B018
        started = time.perf_counter()
        reported: list[float] = []
        stored: list[float] = []

        def note(progress: Progress) -> None:
            if progress.message and not reported:
                reported.append(time.perf_counter() - started)
            if progress.chunks_done and not stored:
                stored.append(time.perf_counter() - started)

        report = store.add("stream", [path], progress=note)
        chunks = store.info("stream").chunks
    return {
        f"{prefix}_chunks": chunks,
        f"{prefix}_s": round(report.seconds, 1),
        f"{prefix}_chunks_per_s": round(chunks / report.seconds, 1),
        f"{prefix}_first_report_s": round(reported[0], 1) if reported else -1,
        f"{prefix}_first_progress_s": round(stored[0], 1) if stored else -1,
        f"{prefix}_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def markdown(
    results: list[dict[str, float | int]], meta: dict[str, str], stream: dict[str, float | int] | None,
    pdf: dict[str, float | int] | None = None,
) -> str:
    rows = [
        ("chunks", "chunks"), ("ingest (chunks/s)", "ingest_chunks_per_s"), ("ingest (s)", "ingest_s"),
        ("ingest CPU per chunk, all cores (ms)", "ingest_cpu_ms_per_chunk"),
        ("query p50 (ms)", "query_p50_ms"), ("query p95 (ms)", "query_p95_ms"),
        ("  embedding p50 (ms)", "embed_p50_ms"), ("  index lookup p50 (ms)", "index_p50_ms"),
        ("  index lookup p95 (ms)", "index_p95_ms"), ("first query after ingest (ms)", "first_query_ms"),
        ("reopen + first query (ms)", "reopen_and_first_query_ms"), ("peak RSS (MB)", "peak_rss_mb"),
        ("foreground p50, idle (ms)", "foreground_idle_p50_ms"),
        ("foreground p50, while ingesting (ms)", "foreground_ingesting_p50_ms"),
        ("small file parsed inline (ms)", "parse_inline_ms"),
        ("small file parsed in the parser process (ms)", "parse_child_ms"),
    ]
    head = "| metric | " + " | ".join(f"{r['chunks']} chunks" for r in results) + " |"
    lines = [
        "# Knowledge store benchmark", "",
        f"{meta['when']} on {meta['machine']} ({meta['cpus']} CPUs, load average {meta['load']} at start:",
        "the machine was shared with other work, so timings are noisy).",
        "Query latency is the whole `KnowledgeStore.search` (embedding the question + Chroma + ledger).", "",
        head, "|---|" + "---|" * len(results),
    ]
    lines += ["| " + label + " | " + " | ".join(str(r[key]) for r in results) + " |" for label, key in rows]
    if stream:
        lines += ["", f"Streamed plain text: {stream['stream_mb']} MB, {stream['stream_chunks']} chunks in "
                      f"{stream['stream_s']} s ({stream['stream_chunks_per_s']} chunks/s), first passages "
                      f"stored after {stream['stream_first_progress_s']} s (first progress report after "
                      f"{stream['stream_first_report_s']} s), peak RSS {stream['stream_peak_rss_mb']} MB."]
    if pdf:
        lines += ["", f"Streamed PDF: {pdf['pdf_pages']} pages, {pdf['pdf_chunks']} chunks in "
                      f"{pdf['pdf_s']} s ({pdf['pdf_chunks_per_s']} chunks/s), first pages stored after "
                      f"{pdf['pdf_first_progress_s']} s (first progress report after "
                      f"{pdf['pdf_first_report_s']} s), peak RSS {pdf['pdf_peak_rss_mb']} MB."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--stream-mb", type=float, default=5.0, help="0: no streamed-text run")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--stream-child", type=float, help=argparse.SUPPRESS)
    parser.add_argument("--pdf-pages", type=int, default=500, help="0: no streamed-PDF run")
    parser.add_argument("--pdf-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.queries)))
        return
    if args.stream_child:
        print(json.dumps(measure_stream(args.stream_child)))
        return
    if args.pdf_child:
        print(json.dumps(measure_pdf_stream(args.pdf_child)))
        return
    results, queries = [], args.queries
    load = f"{os.getloadavg()[0]:.1f}"

    def child(*flags: str) -> dict[str, float | int]:
        done = subprocess.run([sys.executable, "-m", "bench.knowledge.run", *flags],
                              capture_output=True, text=True, check=True, timeout=3600)
        result: dict[str, float | int] = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(result), flush=True)
        return result

    for size in args.sizes:
        results.append(child("--child", str(size), "--queries", str(queries)))
    stream = child("--stream-child", str(args.stream_mb)) if args.stream_mb else None
    pdf = child("--pdf-child", str(args.pdf_pages)) if args.pdf_pages else None
    meta = {
        "load": load,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "cpus": str(os.cpu_count()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "knowledge.json").write_text(
        json.dumps({"meta": meta, "results": results, "stream": stream, "pdf": pdf}, indent=2))
    (RESULTS / "knowledge.md").write_text(markdown(results, meta, stream, pdf))
    print(markdown(results, meta, stream, pdf))


if __name__ == "__main__":
    main()
