"""The soak benchmark's markdown summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.e2e.report import load_words


def _verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def _value(snapshot: dict[str, Any] | None, key: str) -> str:
    return "–" if snapshot is None else str(snapshot[key])


def write_markdown(report: dict[str, Any], path: Path) -> None:
    machine, method, verdict = report["machine"], report["method"], report["verdict"]
    start, base, end = report["at_start"], report["at_baseline"], report["at_end"]
    v2v = report["caller_v2v_ms"]
    out = [
        "# Soak benchmark: many calls against one `earpiece agent`",
        "",
        f"{report['started_at']} on {machine['platform']}, Python {machine['python']}, "
        f"{machine['cpus']} CPUs ({machine['cpu']}). Load average {machine['load_average_start'][0]} at "
        f"the start and {machine['load_average_end'][0]} at the end: {load_words(machine)}. "
        f"Took {report['duration_s']:.0f} s.",
        "",
        f"Method: {method['calls']} calls, {method['concurrency']} at a time; {method['caller']}. "
        f"Answered: {method['answered']}. Snapshots: {method['snapshots']}.",
        "",
        f"| | at start | after call {method['baseline_call']} | after call {report['calls_placed']} |",
        "|---|---|---|---|",
        *(f"| {label} | {_value(start, key)} | {_value(base, key)} | {_value(end, key)} |"
          for label, key in (("agent RSS (MB)", "rss_mb"), ("agent threads", "threads"),
                             ("agent open file descriptors", "open_fds"))),
        "",
        f"- Calls answered: {report['calls_answered']} / {report['calls_placed']} — "
        f"{_verdict(verdict['all_answered'])}",
        f"- Agent alive at the end and stopped cleanly (exit code {report['agent_exit_code']}): "
        f"{_verdict(verdict['no_crash'])}",
        f"- RSS growth from call {method['baseline_call']} to the last call < 50 MB: "
        f"{report['rss_growth_mb']} MB — {_verdict(verdict['rss_growth_under_goal'])} "
        f"(trend after call {method['baseline_call']}: {report['rss_slope_mb_per_100_calls']} MB "
        "per 100 calls)",
        f"- No thread leak (threads at the end ≤ after call {method['baseline_call']}): "
        f"{_verdict(verdict['no_thread_leak'])}",
        f"- No file descriptor leak: {_verdict(verdict['no_fd_leak'])}",
        f"- Voice-to-voice heard by the callers: p50 {v2v['p50']} ms, p95 {v2v['p95']} ms, "
        f"max {v2v['max']} ms",
    ]
    if report["calls_failed"]:
        out += ["", "## Calls that failed", ""]
        out += [f"- call {c['index'] + 1} ({c['question']}): established {c['established']}, greeting "
                f"heard at {c['greeting_heard_at_s']} s (the question starts at {method['lead_s']:g} s), "
                f"reply heard {c['reply_heard']}, outcome {c['outcome'] or '–'}, "
                f"answer {c['answer'][:60]!r}, error {c['error'] or '–'}; "
                f"the agent's transcript: {c['agent_transcript']}"
                for c in report["calls_failed"]]
    if report["agent_output_tail"]:
        out += ["", "## The agent's last output", "", "```", report["agent_output_tail"], "```"]
    out.append("")
    path.write_text("\n".join(out))
