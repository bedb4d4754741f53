"""The memory benchmark's markdown report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_COLUMNS = ("rss", "pss", "uss", "anon")


def _process_rows(processes: list[dict[str, Any]]) -> list[str]:
    return [f"| {p['role']} ({p['pid']}) | " + " | ".join(f"{p[c]:.0f}" for c in _COLUMNS) + " |"
            for p in processes]


def _table(title: str, processes: list[dict[str, Any]], totals: str) -> list[str]:
    return [f"**{title}** ({totals})", "", "| process | RSS | PSS | USS | anon |", "|---|---|---|---|---|",
            *_process_rows(processes), ""]


def write_markdown(report: dict[str, Any], path: Path) -> None:
    machine = report["machine"]
    agent_args = " ".join(report.get("line", {}).get("agent_args", [])) or "none"
    lines = [
        "# Memory of the answering line", "",
        f"{report['started_at']}, {report['duration_s']} s; load average {machine['load_average_start']} "
        f"at the start, {machine['load_average_end']} at the end; "
        f"agent environment {report['env'] or 'default'}; more agent arguments: {agent_args}.", "",
        "MB. RSS: resident; PSS: shared pages split between the processes that map them (the line's "
        "PSS is their sum, every page once); USS: private to the process; anon: the anonymous part "
        "of RSS.", "",
    ]
    if "imports" in report:
        lines += ["## Import cost of each heavy module (a fresh interpreter each: shared dependencies "
                  "repeat)", "",
                  "| module | RSS | PSS | USS | anon |", "|---|---|---|---|---|"]
        for row in report["imports"]:
            if "error" in row:
                figures = f"error: {row['error']}"
            else:
                figures = " | ".join(f"{row[c]:+.0f}" for c in _COLUMNS)
            lines.append(f"| `{row['module']}` | {figures} |")
        lines.append("")
    if "startup" in report:
        lines += ["## The agent's start-up steps (one process, no SIP)", "",
                  "| step | agent RSS | agent PSS | agent USS | agent anon | line PSS (with workers) |",
                  "|---|---|---|---|---|---|"]
        for step in report["startup"]:
            agent = step["agent"]
            lines.append(f"| {step['step']} | " + " | ".join(f"{agent[c]:.0f}" for c in _COLUMNS)
                         + f" | {step['line']['pss']:.0f} |")
        models = report["startup"][-1].get("models", {})
        held = ", ".join(f"{name} x{count}" for name, count in sorted(models.items())) or "none seen"
        lines += ["", f"Models held by the agent after start-up: {held}", ""]
    if "line" in report:
        line = report["line"]
        lines += ["## The whole line: `earpiece agent` and its processes", ""]
        idle = line["idle"]
        lines += _table("Idle after start-up", idle["processes"], _totals(idle["line"]))
        for level in line["levels"]:
            peak = level["peak"]
            lines += _table(f"Peak during {level['calls']} call(s) (each process's own peak)",
                            peak["processes"], f"line PSS peak {peak['line_pss']:.0f}")
            after = level["idle_after"]
            lines += _table(f"Idle after {level['calls']} call(s)", after["processes"],
                            _totals(after["line"]))
            if level["errors"]:
                lines += [f"Errors: {level['errors']}", ""]
    path.write_text("\n".join(lines))


def _totals(line: dict[str, float]) -> str:
    return f"line PSS {line['pss']:.0f}, USS {line['uss']:.0f}, RSS summed {line['rss_sum']:.0f}"
