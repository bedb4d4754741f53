"""The whole answering line's memory: `earpiece agent` registered at a local Kamailio (started as
`bench.e2e` starts it) and every process under it, idle after start-up, at the peak during a level
of simultaneous calls, and idle again after it."""

from __future__ import annotations

import contextlib
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.e2e.calls import caller_scripts, place_calls
from bench.memory.smaps import Memory, PeakSampler, line_totals, role, tree
from tests.e2e.harness import AgentProcess, ScriptedCall
from tests.peers.kamailio import Kamailio

SETTLE_S = 3.0


def snapshot(pid: int) -> dict[str, Any]:
    processes = tree(pid)
    return _described(processes, {p: role(p) for p in processes}) | {"line": line_totals(processes)}


def _described(processes: dict[int, Memory], roles: dict[int, str]) -> dict[str, Any]:
    return {"processes": [{"pid": pid, "role": roles.get(pid, "?"), **mem.as_dict()}
                          for pid, mem in sorted(processes.items())]}


def measure_line(levels: list[int], speeches: list[bytes], gap_s: float,
                 env: dict[str, str] | None = None, agent_args: tuple[str, ...] = ()) -> dict[str, Any]:
    """Idle, then each level of simultaneous calls (peak while they run, then idle again);
    `agent_args` are added to `earpiece agent`'s (e.g. --supervise: the supervisor and both agents)."""
    out: dict[str, Any] = {"env": env or {}, "agent_args": list(agent_args)}
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-memory-") as tmp, \
            Kamailio(users={"agent": "agent-pw"}) as registrar, \
            AgentProcess(registrar, "agent", "agent-pw", Path(tmp), max_calls=max(levels, default=1),
                         extra_args=agent_args, extra_env=env) as agent:
        time.sleep(SETTLE_S)
        out["idle"] = snapshot(agent.pid)
        print(f"  idle: {out['idle']['line']}", flush=True)
        out["levels"] = []
        for level in levels:
            _, scripts = caller_scripts(speeches, level, gap_s)
            with contextlib.ExitStack() as stack:
                calls = [stack.enter_context(ScriptedCall(registrar, script, f"m{level}c{k}",
                                                          Path(tmp) / f"level-{level}" / f"call{k}"))
                         for k, script in enumerate(scripts)]
                with PeakSampler(agent.pid) as sampler:
                    errors = place_calls(calls, agent.uri, stagger_s=0.9)
            time.sleep(SETTLE_S)
            after = snapshot(agent.pid)
            peak = _described(sampler.peak, sampler.roles) | {"line_pss": round(sampler.peak_line_pss, 1)}
            row: dict[str, Any] = {"calls": level, "errors": errors, "peak": peak, "idle_after": after}
            print(f"  {level} call(s): peak line PSS {peak['line_pss']} MB, "
                  f"after {after['line']}, errors {errors}", flush=True)
            out["levels"].append(row)
        agent.terminate(60)
    return out
