"""How late a 20 ms audio clock that needs the GIL for each bridge callback runs while other Python
threads are busy, by GIL switch interval (`SipConfig.gil_switch_interval_s`).

    .venv/bin/python -m bench.sip.gil_wait [--calls 4] [--busy 1] [--seconds 10]
                                           [--intervals 0.005 0.002 0.001 0.0005 0.0002]

The pjsua2 bridge calls Python twice per call and tick (a frame in, a frame out), and SWIG takes the
GIL for each. While another thread runs Python, each of those takes up to one switch interval to
get it back: the clock thread here wakes every 20 ms and takes the GIL `2 x --calls` times, beside
`--busy` threads in a pure-Python loop (the session's own work: answer selection, the turn
detector, Piper's Python side). Each interval runs in a fresh process. Reported: how late each tick
finished (p50 / p99 / max) and how many ticks ended more than 20 ms late (a frame gap over 40 ms).
Writes bench/results/gil_wait.json and .md. Run it alone: other jobs on the machine add to it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from bench.e2e.machine import RunClock

RESULTS = Path(__file__).resolve().parents[1] / "results"
TICK_S = 0.02


def _busy(stop: threading.Event) -> None:
    while not stop.is_set():
        sum(i * i for i in range(1000))


def measure(calls: int, busy: int, seconds: float, interval: float) -> dict[str, Any]:
    """In this process: the clock beside `busy` Python threads at switch `interval`."""
    sys.setswitchinterval(interval)
    stop = threading.Event()
    workers = [threading.Thread(target=_busy, args=(stop,)) for _ in range(busy)]
    for worker in workers:
        worker.start()
    late: list[float] = []
    due = time.perf_counter()
    end = due + seconds
    while due < end:
        due += TICK_S
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        for _ in range(2 * calls):
            time.sleep(0)  # drops the GIL and waits to take it back, as each bridge callback does
        late.append((time.perf_counter() - due) * 1000)
    stop.set()
    for worker in workers:
        worker.join()
    late.sort()
    return {
        "switch_interval_ms": interval * 1000,
        "ticks": len(late),
        "late_ms_p50": round(late[len(late) // 2], 1),
        "late_ms_p99": round(late[int(len(late) * 0.99)], 1),
        "late_ms_max": round(late[-1], 1),
        "ticks_over_20ms_late": sum(x > 20 for x in late),
    }


def markdown(report: dict[str, Any]) -> str:
    m = report["method"]
    lines = [
        "# The audio clock's wait for the GIL, by switch interval",
        "",
        f"{report['started_at']}, {report['machine']['cpus']} CPUs ({report['machine']['cpu']}); load "
        f"average {report['machine']['load_average_start']} at the start, "
        f"{report['machine']['load_average_end']} at the end. A model of the bridge, not the bridge: "
        f"a 20 ms clock taking the GIL {2 * m['calls']} times per tick ({m['calls']} calls) beside "
        f"{m['busy']} busy Python thread(s), {m['seconds']} s per interval.",
        "",
        "| switch interval (ms) | ticks | late p50 (ms) | p99 | max | ticks > 20 ms late |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r['switch_interval_ms']:g} | {r['ticks']} | {r['late_ms_p50']} | {r['late_ms_p99']} "
        f"| {r['late_ms_max']} | {r['ticks_over_20ms_late']} |"
        for r in report["runs"]
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sip.gil_wait", description=__doc__)
    parser.add_argument("--calls", type=int, default=4)
    parser.add_argument("--busy", type=int, default=1, help="threads running Python")
    parser.add_argument("--seconds", type=float, default=10.0, help="per interval")
    parser.add_argument("--intervals", type=float, nargs="+", default=[0.005, 0.002, 0.001, 0.0005, 0.0002])
    parser.add_argument("--one", type=float, help=argparse.SUPPRESS)  # the child: measure one interval
    args = parser.parse_args()
    if args.one is not None:
        print(json.dumps(measure(args.calls, args.busy, args.seconds, args.one)))
        return 0
    clock, runs = RunClock(), []
    for interval in args.intervals:
        child = subprocess.run(
            [sys.executable, "-m", "bench.sip.gil_wait", "--calls", str(args.calls), "--busy", str(args.busy),
             "--seconds", str(args.seconds), "--one", str(interval)],
            capture_output=True, text=True, check=True, cwd=Path(__file__).resolve().parents[2],
        )
        runs.append(json.loads(child.stdout))
        print(json.dumps(runs[-1]), flush=True)
    method = {"calls": args.calls, "busy": args.busy, "seconds": args.seconds}
    report = {**clock.header("gil_wait"), "method": method, "runs": runs}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "gil_wait.json").write_text(json.dumps(report, indent=2) + "\n")
    (RESULTS / "gil_wait.md").write_text(markdown(report))
    print(markdown(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
