"""Knowledge-store benchmark: ingest throughput, query latency (p50/p95) and peak memory.

    .venv/bin/python -m bench.knowledge.run [--sizes 1000 10000] [--queries 200]

Each size runs in its own child process (so peak RSS is that size's), on a synthetic corpus of
markdown files with one ~300-character passage per section. Results go to
bench/results/knowledge.json and knowledge.md.
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
import time
from pathlib import Path

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
            opened = time.perf_counter()
            report = store.add("bench", [folder])
            ingest_s = report.seconds
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
    }


def markdown(results: list[dict[str, float | int]], meta: dict[str, str]) -> str:
    rows = [
        ("chunks", "chunks"), ("ingest (chunks/s)", "ingest_chunks_per_s"), ("ingest (s)", "ingest_s"),
        ("query p50 (ms)", "query_p50_ms"), ("query p95 (ms)", "query_p95_ms"),
        ("  embedding p50 (ms)", "embed_p50_ms"), ("  index lookup p50 (ms)", "index_p50_ms"),
        ("  index lookup p95 (ms)", "index_p95_ms"), ("first query after ingest (ms)", "first_query_ms"),
        ("reopen + first query (ms)", "reopen_and_first_query_ms"), ("peak RSS (MB)", "peak_rss_mb"),
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
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.queries)))
        return
    results, queries = [], args.queries
    load = f"{os.getloadavg()[0]:.1f}"
    for size in args.sizes:
        done = subprocess.run(
            [sys.executable, "-m", "bench.knowledge.run", "--child", str(size), "--queries", str(queries)],
            capture_output=True, text=True, check=True, timeout=1800,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(json.dumps(results[-1]), flush=True)
    meta = {
        "load": load,
        "when": time.strftime("%Y-%m-%d %H:%M"),
        "machine": f"{platform.machine()} {platform.python_implementation()} {platform.python_version()}",
        "cpus": str(os.cpu_count()),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "knowledge.json").write_text(json.dumps({"meta": meta, "results": results}, indent=2))
    (RESULTS / "knowledge.md").write_text(markdown(results, meta))
    print(markdown(results, meta))


if __name__ == "__main__":
    main()
