"""Run the soak benchmark (see the package docstring)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from bench.e2e.calls import QUESTIONS, caller_speech, percentile
from bench.e2e.machine import RunClock
from bench.soak.probe import SOCKET_ENV, ask
from bench.soak.report import write_markdown
from bench.soak.threads import POOL_BOUNDS, TRANSIENT, ThreadCheck
from bench.soak.threads import check as check_threads
from tests.e2e.harness import AgentProcess, CallerScript, ScriptedCall, analyse, greeting_onset_s
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"
PROBE_PATH = Path(__file__).resolve().parent / "agent_probe"  # its sitecustomize starts the probe
PASSWORD = "soak-pw"
SETTLE_S = 3.0  # after the last call of a phase, before the agent is measured
RSS_GOAL_MB = 50.0
LEAD_S = 7.0  # the caller listens this long before asking: the greeting is over even on a busy machine


@dataclass(slots=True)
class CallResult:
    index: int  # 0-based; "call 20" is index 19
    question: str
    established: bool = False
    reply_heard: bool = False  # reply audio after the question, at the caller
    caller_v2v_ms: float | None = None
    greeting_heard_at_s: float | None = None  # after the call was established, at the caller
    answer: str = ""  # the agent's answer, from its call record
    outcome: str = ""
    error: str = ""
    agent_transcript: list[str] = field(default_factory=list)  # kept for calls that failed

    @property
    def answered(self) -> bool:
        return self.established and self.reply_heard and bool(self.answer)


@dataclass(frozen=True, slots=True)
class Snapshot:
    calls_done: int
    rss_mb: float
    threads: int
    open_fds: int
    inside: dict[str, Any] = field(default_factory=dict)  # the probe's answer (bench/soak/probe.py)


def measure(pid: int, calls_done: int, probe: Path | None = None,
            command: str = "figures") -> Snapshot | None:
    """The agent's figures now (None once it has died); with `probe`, also as seen from inside it."""
    try:
        process = psutil.Process(pid)
        outside = (round(process.memory_info().rss / 2**20, 1), process.num_threads(), process.num_fds())
    except psutil.Error:
        return None
    inside = (ask(probe, command) if probe is not None else None) or {}
    return Snapshot(calls_done, *outside, inside=inside)


class RecordIndex:
    """The agent's call records by caller user name, reading each new JSON file once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: set[Path] = set()
        self._by_caller: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    def find(self, caller: str) -> dict[str, Any] | None:
        with self._lock:
            for path in self.folder.glob("*.json"):
                if path not in self._seen:
                    self._seen.add(path)
                    record = json.loads(path.read_text())
                    user = record["sip"]["remote_uri"].split("@")[0].rsplit(":", 1)[-1]
                    self._by_caller[user] = record
            return self._by_caller.get(caller)


class Soak:
    def __init__(self, registrar: Kamailio, agent: AgentProcess, scripts: list[CallerScript],
                 questions: list[str], folder: Path, probe: Path) -> None:
        self.registrar = registrar
        self.agent = agent
        self.scripts = scripts
        self.questions = questions
        self.folder = folder
        self.probe = probe
        self.records = RecordIndex(agent.calls_dir)
        self.results: list[CallResult] = []
        self.series: list[Snapshot] = []  # after every call (other calls may be in progress)
        self._lock = threading.Lock()

    def run_phase(self, indices: range, concurrency: int) -> None:
        with ThreadPoolExecutor(concurrency) as pool:
            for _ in pool.map(self.call, indices):
                pass

    def call(self, index: int) -> None:
        if not self.agent.alive():
            return
        which = index % len(self.scripts)
        result = CallResult(index, self.questions[which])
        user = f"soak{index}"
        try:
            with ScriptedCall(self.registrar, self.scripts[which], user, self.folder / user) as call:
                try:
                    call.run(self.agent.uri)
                finally:
                    result.established = call.established_at is not None
                heard = call.heard()
                (turn,) = analyse(call.sent(), heard, call.script)
                result.greeting_heard_at_s = greeting_onset_s(heard)
                result.reply_heard = turn.reply_onset_s is not None
                result.caller_v2v_ms = turn.voice_to_voice_ms
        except Exception as exc:  # reported; the other calls go on
            result.error = f"{type(exc).__name__}: {exc}"[:600]
        # The next call starts once the agent has let this one go (its record is written last).
        record: dict[str, Any] | None = None

        def found() -> bool:
            nonlocal record
            record = self.records.find(user)
            return record is not None or not self.agent.alive()

        wait_for(found, 20.0 if result.established else 2.0, 0.2)
        if record is not None:
            result.outcome = record["outcome"]
            asked = [t for t in record["turns"] if t["speaker"] == "caller"]
            result.answer = str(asked[0].get("answer") or "") if asked else ""
            if not result.answered:
                result.agent_transcript = [f"{e['t']:.1f}s {e['speaker']}: {e['text']}"
                                           for e in record["transcript"]]
        elif result.established and not result.error:
            result.error = "no call record from the agent"
        shutil.rmtree(self.folder / user, ignore_errors=True)
        with self._lock:
            self.results.append(result)
            snapshot = measure(self.agent.pid, len(self.results), self.probe)
            if snapshot is not None:
                self.series.append(snapshot)
            done = len(self.results)
        mark = "ok" if result.answered else f"FAILED {result.error or result.outcome or 'no reply heard'}"
        print(f"call {index + 1}: {mark} (v2v at caller {result.caller_v2v_ms} ms; {done} done)", flush=True)

    def idle_snapshot(self) -> tuple[Snapshot | None, dict[str, Any]]:
        """The agent with no call in progress, and the Python sources whose memory grew since the last
        idle snapshot (empty without --python-heap)."""
        time.sleep(SETTLE_S)
        snapshot = measure(self.agent.pid, len(self.results), self.probe, "objects")
        return snapshot, ask(self.probe, "python-diff") or {}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__)
    parser.add_argument("--calls", type=int, default=200, help="calls in all")
    parser.add_argument("--concurrency", type=int, default=4, help="calls at a time")
    parser.add_argument("--baseline-call", type=int, default=20,
                        help="measure the agent after this many calls (and again after the last)")
    parser.add_argument("--gap", type=float, default=14.0,
                        help="seconds of silence after the question (the reply must start within it)")
    parser.add_argument("--python-heap", action="store_true",
                        help="trace the agent's Python allocations (tracemalloc: slower, more memory) and "
                        "report the sources whose memory grew")
    parser.add_argument("--agent-env", action="append", default=[], metavar="NAME=VALUE",
                        help="an environment variable for the agent (e.g. MALLOC_ARENA_MAX=2); repeatable")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    agent_env = dict(item.split("=", 1) for item in args.agent_env if "=" in item)
    if len(agent_env) != len(args.agent_env):
        parser.error("--agent-env takes NAME=VALUE")
    if args.calls < 2 or args.concurrency < 1:
        parser.error("--calls must be at least 2 and --concurrency at least 1")
    baseline = min(args.baseline_call, args.calls // 2)
    if baseline != args.baseline_call:
        print(f"only {args.calls} calls: the baseline is taken after call {baseline}")

    questions, speeches = caller_speech(len(QUESTIONS))
    scripts = [CallerScript.build([speech], lead_s=LEAD_S, gap_s=args.gap, tail_s=1.0) for speech in speeches]
    clock = RunClock()
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-soak-") as tmp, \
            Kamailio(users={"agent": PASSWORD}) as registrar:
        probe = Path(tmp) / "probe.sock"
        agent_env |= {SOCKET_ENV: str(probe), "PYTHONPATH": os.pathsep.join(map(str, (PROBE_PATH, ROOT)))}
        if args.python_heap:
            agent_env["PYTHONTRACEMALLOC"] = "1"
        agent = AgentProcess(registrar, "agent", PASSWORD, Path(tmp) / "agent", max_calls=args.concurrency,
                             extra_env=agent_env)
        print("starting earpiece agent...", flush=True)
        agent.start()
        try:
            soak = Soak(registrar, agent, scripts, questions, Path(tmp) / "calls", probe)
            start, _ = soak.idle_snapshot()
            soak.run_phase(range(baseline), args.concurrency)
            at_baseline, _ = soak.idle_snapshot()
            soak.run_phase(range(baseline, args.calls), args.concurrency)
            at_end, python_growth = soak.idle_snapshot()
            trimmed = ask(probe, "trim") or {}
            alive = agent.alive()
            log_tail = "" if alive else agent.text()[-3000:] + agent.log_tail(3000)
        finally:
            exit_code = agent.terminate(60)
    report = summarise(soak, args, baseline, start, at_baseline, at_end, alive, exit_code, log_tail)
    report.update(agent_env={k: v for k, v in agent_env.items() if k not in (SOCKET_ENV, "PYTHONPATH")},
                  python_growth=python_growth.get("top_growth", []), malloc_trim_at_end=trimmed)
    report.update(clock.header("soak"))
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "soak.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, args.output / "soak.md")
    print((args.output / "soak.md").read_text())
    return 0 if report["verdict"]["all_answered"] and alive else 1


def summarise(soak: Soak, args: argparse.Namespace, baseline: int, start: Snapshot | None,
              at_baseline: Snapshot | None, at_end: Snapshot | None, alive: bool, exit_code: int | None,
              log_tail: str) -> dict[str, Any]:
    results = sorted(soak.results, key=lambda r: r.index)
    v2v = [r.caller_v2v_ms for r in results if r.caller_v2v_ms is not None]
    growth = (round(at_end.rss_mb - at_baseline.rss_mb, 1)
              if at_end is not None and at_baseline is not None else None)
    answered = sum(r.answered for r in results)
    threads = thread_check(at_baseline, at_end)
    return {
        "method": {
            "calls": args.calls,
            "concurrency": args.concurrency,
            "baseline_call": baseline,
            "lead_s": LEAD_S,
            "gap_after_question_s": args.gap,
            "caller": "baresip 1.0 (aufile source = Piper speech WAV, sndfile dumps), G.722 via Kamailio; "
            "one question per call, the bench/e2e questions in turn; the next call starts once the "
            "agent has written the previous call's record",
            "answered": "the call was established, the caller heard reply audio after its question and the "
            "agent's record of the call holds an answer",
            "snapshots": f"RSS, threads and open file descriptors of the agent process, {SETTLE_S:g} s after "
            "the last call of a phase ended (no call in progress)",
            "inside": "after every call and at each snapshot, a probe inside the agent (bench/soak/probe.py, "
            "started by bench/soak/agent_probe/sitecustomize.py) reports: "
            + "; ".join(INSIDE_FIGURES.values())
            + "; at the snapshots also asyncio tasks and pjsua2 objects alive; at the end, malloc_trim(0) "
            "and the RSS it gave back",
        },
        "calls_placed": len(results),
        "calls_answered": answered,
        "calls_failed": [asdict(r) for r in results if not r.answered],
        "agent_alive_at_end": alive,
        "agent_exit_code": exit_code,
        "agent_output_tail": log_tail,
        "at_start": asdict(start) if start else None,
        "at_baseline": asdict(at_baseline) if at_baseline else None,
        "at_end": asdict(at_end) if at_end else None,
        "rss_growth_mb": growth,
        "growth_inside": inside_growth(at_baseline, at_end),
        "inside_figures": INSIDE_FIGURES,
        "rss_slope_mb_per_100_calls": slope(soak.series, baseline),
        "threads": {
            "at_baseline": at_baseline.inside.get("thread_names") if at_baseline else None,
            "at_end": at_end.inside.get("thread_names") if at_end else None,
            "grew": threads.grew if threads else None,
            "leaked": threads.leaked if threads else None,
            "transient_at_end": threads.transient_at_end if threads else None,
            "pool_bounds": POOL_BOUNDS,
            "transient": TRANSIENT,
        },
        "caller_v2v_ms": {"p50": percentile(v2v, 50), "p95": percentile(v2v, 95),
                          "max": max(v2v, default=None)},
        "verdict": {
            "no_crash": alive and exit_code == 0,
            "all_answered": answered == args.calls,
            "rss_growth_under_goal": growth is not None and growth < RSS_GOAL_MB,
            "no_thread_leak": threads.ok if threads else bool(
                at_end and at_baseline and at_end.threads <= at_baseline.threads),
            "no_fd_leak": bool(at_end and at_baseline and at_end.open_fds <= at_baseline.open_fds),
        },
        "series": [asdict(s) for s in soak.series],
        "calls": [asdict(r) for r in results],
    }


# What the probe measures, and what the report calls it (a growth of each is reported).
INSIDE_FIGURES = {
    "anon_mb": "anonymous memory (MB; RSS without mapped files)",
    "malloc_in_use_mb": "native heap in use (MB; glibc malloc, all arenas and mmapped blocks; includes "
    "Python objects over 512 bytes, numpy buffers and the onnxruntime / CTranslate2 arenas)",
    "malloc_mmapped_mb": "of which in mmapped blocks (MB; large buffers and arena chunks)",
    "malloc_free_held_mb": "free memory glibc keeps inside its arenas (MB; fragmentation)",
    "malloc_arenas": "glibc malloc arenas",
    "python_traced_mb": "Python heap (MB, tracemalloc; only with --python-heap)",
    "python_blocks": "Python objects (live blocks in Python's own allocator)",
    "gc_objects": "objects tracked by the garbage collector (after gc.collect(); the frozen start-up "
    "heap excluded)",
    "os_threads": "threads (OS)",
    "open_fds": "open file descriptors",
}


def thread_check(before: Snapshot | None, after: Snapshot | None) -> ThreadCheck | None:
    """The leak check by thread name (bench/soak/threads.py); None when the probe gave no names (then
    the verdict compares the counts)."""
    names = [s.inside.get("thread_names") if s is not None else None for s in (before, after)]
    return check_threads(names[0], names[1]) if names[0] and names[1] else None


def inside_growth(before: Snapshot | None, after: Snapshot | None) -> dict[str, float]:
    """How each figure measured inside the agent moved between two snapshots."""
    if before is None or after is None:
        return {}
    numbers = int | float
    return {key: round(after.inside[key] - before.inside[key], 1) for key in INSIDE_FIGURES
            if isinstance(before.inside.get(key), numbers) and isinstance(after.inside.get(key), numbers)}


def slope(series: list[Snapshot], baseline: int) -> float | None:
    """Least-squares RSS trend after the baseline call, in MB per 100 calls."""
    points = [(s.calls_done, s.rss_mb) for s in series if s.calls_done >= baseline]
    if len({x for x, _ in points}) < 3:
        return None
    xs, ys = zip(*points, strict=True)
    return round(100 * float(np.polyfit(xs, ys, 1)[0]), 2)


if __name__ == "__main__":
    raise SystemExit(main())
