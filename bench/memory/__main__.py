"""Run the memory benchmark (see the package docstring)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bench.e2e.calls import caller_speech
from bench.e2e.machine import RunClock
from bench.memory.imports import import_costs
from bench.memory.line import measure_line
from bench.memory.report import write_markdown
from bench.memory.startup import startup_steps

RESULTS = Path(__file__).resolve().parents[1] / "results"


def env_pairs(values: list[str]) -> dict[str, str]:
    """NAME=value arguments as a dict (a clear error for anything else)."""
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"--env takes NAME=value, got {value!r}")
        out[name] = rest
    return out


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__)
    parser.add_argument("--parts", nargs="+", choices=("imports", "startup", "line"),
                        default=["imports", "startup", "line"])
    parser.add_argument("--levels", type=int, nargs="*", default=[1],
                        help="simultaneous calls after the idle reading (4 is a smoke on a shared machine)")
    parser.add_argument("--questions", type=int, default=2, help="questions per call")
    parser.add_argument("--gap", type=float, default=8.0, help="seconds of silence after each question")
    parser.add_argument("--env", nargs="*", default=[],
                        help="NAME=value for the agent (e.g. EARPIECE_STT__WORKERS=1)")
    parser.add_argument("--agent-args", nargs="*", default=[],
                        help="more arguments for `earpiece agent`, e.g. --agent-args=--supervise")
    parser.add_argument("--name", default="memory", help="results file name (without extension)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    env = env_pairs(args.env)

    clock = RunClock()
    report: dict[str, Any] = {"env": env}
    if "imports" in args.parts:
        print("import costs, each in a fresh interpreter...", flush=True)
        report["imports"] = import_costs()
    if "startup" in args.parts:
        print("the agent's start-up steps...", flush=True)
        report["startup"] = startup_steps(env)
    if "line" in args.parts:
        _, speeches = caller_speech(args.questions)
        print("the whole line (agent and workers)...", flush=True)
        report["line"] = measure_line(args.levels, speeches, args.gap, env, tuple(args.agent_args))
    report = {**clock.header("memory"), **report}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / f"{args.name}.json").write_text(json.dumps(report, indent=2))
    write_markdown(report, args.output / f"{args.name}.md")
    print((args.output / f"{args.name}.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
