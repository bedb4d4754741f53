"""Run the scale benchmark (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.e2e.calls import QUESTIONS, caller_scripts, caller_speech, match_turns, place_calls, summarise
from bench.e2e.machine import RunClock
from bench.e2e.sampler import ProcessSampler
from bench.scale.report import write_markdown
from bench.scale.threads import GROUPS, cpu_by_group, thread_cpu_s
from tests.e2e.harness import SPEECH_DBFS, AgentProcess, ScriptedCall, analyse
from tests.peers.kamailio import KamailioDispatcher
from tests.peers.process import free_port, wait_for

RESULTS = Path(__file__).resolve().parents[1] / "results"


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale", description=__doc__)
    parser.add_argument("--agents", type=int, default=3, help="agent processes behind the dispatcher")
    parser.add_argument("--max-calls", type=int, default=4, help="calls per agent (its --max-calls)")
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 4, 8, 12], help="simultaneous calls")
    parser.add_argument("--questions", type=int, default=4, help=f"questions per call (max {len(QUESTIONS)})")
    parser.add_argument("--gap", type=float, default=15.0, help="seconds of silence after each question")
    parser.add_argument("--stagger", type=float, default=0.9, help="seconds between the calls' starts")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.agents < 1 or max(args.levels) > args.agents * args.max_calls:
        parser.error(f"{args.agents} agent(s) × {args.max_calls} calls cannot hold {max(args.levels)} calls")

    questions, speeches = caller_speech(args.questions)
    clock = RunClock()
    accounts = {f"agent-{k + 1}": f"agent-{k + 1}-pw" for k in range(args.agents)}
    ports = [free_port() for _ in accounts]
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-scale-") as tmp, \
            KamailioDispatcher(accounts, nodes=ports, node_calls=args.max_calls, probe_interval_s=2,
                               probe_misses=2) as line, \
            contextlib.ExitStack() as stack:
        print(f"starting {args.agents} earpiece agents behind the dispatcher...", flush=True)
        agents = [AgentProcess(line, user, password, Path(tmp) / user, max_calls=args.max_calls,
                               extra_args=("--sip-port", str(port)))
                  for (user, password), port in zip(accounts.items(), ports, strict=True)]
        for agent in agents:
            stack.callback(agent.terminate, 60)
        with ThreadPoolExecutor(len(agents)) as pool:
            for started_agent in [pool.submit(agent.start) for agent in agents]:
                started_agent.result()
        line.wait_nodes_up(len(agents), timeout=30)
        for level in args.levels:
            print(f"{level} simultaneous call(s)...", flush=True)
            result = run_level(line, agents, Path(tmp) / f"level-{level}", questions, speeches, level, args)
            v2v = result["caller_v2v_ms"]
            print(f"{level} call(s): {result['calls_held']} held, per agent {result['calls_per_agent']}, "
                  f"caller v2v p50 {v2v['p50']} ms, p95 {v2v['p95']} ms", flush=True)
            runs.append(result)
    report = {
        **clock.header("scale"),
        "method": {
            "agents": args.agents,
            "max_calls_per_agent": args.max_calls,
            "questions": questions,
            "gap_after_question_s": args.gap,
            "stagger_s": args.stagger,
            "dispatcher": "Kamailio 5.6 with packaging/kamailio/earpiece-dispatcher.cfg (fewest calls "
            f"first, at most {args.max_calls} per agent, OPTIONS probes every 2 s, failover to the next "
            "agent on busy, failure or silence)",
            "caller": "baresip 1.0 (aufile source = Piper speech WAV, sndfile dumps), G.722, dialling the "
            "line",
            "voice_to_voice_at_caller": "as bench/e2e: end of the caller's speech in its sent audio -> first "
            f"20 ms frame above {SPEECH_DBFS:g} dBFS in its received audio",
            "held": "the call was established and lasted until the caller hung up after its last question "
            "(the agent's record says caller_hung_up)",
        },
        "goal": "at least 12 simultaneous calls, caller-side p95 no worse than 2 x the one-call p95",
        "runs": runs,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "scale.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, args.output / "scale.md")
    print((args.output / "scale.md").read_text())
    return 0


def run_level(line: KamailioDispatcher, agents: list[AgentProcess], folder: Path, questions: list[str],
              speeches: list[bytes], level: int, args: argparse.Namespace) -> dict[str, Any]:
    known = {agent.user: len(agent.records()) for agent in agents}
    orders, scripts = caller_scripts(speeches, level, args.gap)
    errors: list[str] = []
    with contextlib.ExitStack() as stack:
        calls = [stack.enter_context(ScriptedCall(line, script, f"s{level}c{k}", folder / f"call{k}"))
                 for k, script in enumerate(scripts)]
        samplers = [ProcessSampler(agent.pid) for agent in agents if agent.alive()]
        threads_before = {agent.pid: thread_cpu_s(agent.pid) for agent in agents if agent.alive()}
        for sampler in samplers:
            sampler.start()

        errors += place_calls(calls, line.line_uri, args.stagger)
        usage = [sampler.stop() for sampler in samplers]
        spent = dict.fromkeys(GROUPS, 0.0)
        for pid, before in threads_before.items():
            with contextlib.suppress(OSError):  # the agent died: its calls are reported as errors
                cpu_by_group(before, thread_cpu_s(pid), spent)
        wait_for(lambda: sum(len(a.records()) - known[a.user] for a in agents) >= level, 30, 0.2)
        records = {agent.user: agent.records()[known[agent.user]:] for agent in agents}
        turns: list[dict[str, Any]] = []
        gaps: list[float] = []
        per_agent = dict.fromkeys(known, 0)
        held = 0
        for k, call in enumerate(calls):
            found = [(user, r) for user, rs in records.items() for r in rs
                     if f"s{level}c{k}@" in r["sip"]["remote_uri"]]
            if not found or call.established_at is None:
                errors.append(f"call {k}: no agent record or not established")
                continue
            user, record = found[0]
            per_agent[user] += 1
            held += record["outcome"] == "caller_hung_up"
            gaps.append(record["audio"]["max_frame_gap_ms"])
            asked = [questions[i] for i in orders[k]]
            turns += match_turns(k, analyse(call.sent(), call.heard(), call.script), asked,
                                 call.established_at, record)
    result = summarise(level, turns, gaps, merge_usage(usage), errors)
    retried = [d.call_id for d in line.dispatched() if d.from_user.startswith(f"s{level}c")]
    wall = result.get("wall_s") or 1.0
    result.update(calls_placed=level, calls_held=held, calls_per_agent=per_agent,
                  dispatch_retries=len(retried) - len(set(retried)),
                  agents_cpu_by_thread_percent_of_one_core={
                      group: round(100 * spent[group] / wall, 1) for group in GROUPS})
    return result


def merge_usage(usage: list[dict[str, float]]) -> dict[str, float]:
    """The agents together: CPU and peak memory summed; the machine figures are the same for all."""
    if not usage:
        return {}
    return {
        "wall_s": max(u["wall_s"] for u in usage),
        "agents_cpu_percent_of_one_core": round(sum(u["agent_cpu_percent_of_one_core"] for u in usage), 1),
        "agents_peak_rss_mb": round(sum(u["agent_peak_rss_mb"] for u in usage), 1),
        "machine_busy_percent": usage[0]["machine_busy_percent"],
        "load_average_1min": usage[0]["load_average_1min"],
    }


if __name__ == "__main__":
    raise SystemExit(main())
