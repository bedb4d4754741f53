"""The soak benchmark's markdown summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.e2e.report import run_line, verdict


def _value(snapshot: dict[str, Any] | None, key: str) -> str:
    return "–" if snapshot is None else str(snapshot[key])


def _inside(report: dict[str, Any]) -> list[str]:
    """What the probe inside the agent saw: the Python heap against the native heap, per snapshot."""
    snapshots = [report[key] for key in ("at_start", "at_baseline", "at_end")]
    if not all(s and s.get("inside") for s in snapshots):
        return ["", "(The probe inside the agent did not answer: no Python/native split.)"]
    method, growth = report["method"], report["growth_inside"]
    labels = report["inside_figures"]
    out = ["", "## Inside the agent: Python heap against native memory", "",
           f"| | at start | after call {method['baseline_call']} | after call {report['calls_placed']} "
           "| growth |",
           "|---|---|---|---|---|"]
    out += [f"| {labels[key]} | {' | '.join(str(s['inside'].get(key, '–')) for s in snapshots)} | "
            f"{growth.get(key, '–')} |" for key in labels if key in snapshots[-1]["inside"]]
    inside = snapshots[-1]["inside"]
    trim = report["malloc_trim_at_end"]
    out += ["", f"- asyncio tasks alive at the end: {inside.get('asyncio_tasks') or 'none'}; pjsua2 objects "
            f"alive: {inside.get('pjsua2_objects') or 'none'}"]
    if trim:
        out.append(f"- malloc_trim(0) at the end: RSS {trim['rss_before_mb']} -> {trim['rss_after_mb']} MB "
                   f"in {trim.get('took_ms', '–')} ms (the difference was free memory glibc held)")
    if report["python_growth"]:
        out += ["", "Python sources whose memory grew most from the baseline to the end (tracemalloc):", ""]
        out += [f"- {g['where']}: +{g['grew_mb']} MB ({g['count_diff']:+d} blocks)"
                for g in report["python_growth"]]
    out.append("- Per call, the same figures are in the JSON (`series`).")
    return out


def _thread_rule(report: dict[str, Any], baseline: int) -> str:
    threads = report["threads"]
    if threads["leaked"] is None:
        return f"threads at the end ≤ after call {baseline}; the probe named none"
    grew = ", ".join(f"{f} +{n}" for f, n in threads["grew"].items()) or "none"
    leaked = ", ".join(f"{f} +{n}" for f, n in threads["leaked"].items()) or "none"
    return f"by name, from call {baseline} to the end: grew {grew}; of that a leak: {leaked}"


def _threads(report: dict[str, Any]) -> list[str]:
    """The agent's threads by name at the two idle snapshots, and what the leak check leaves out."""
    threads = report["threads"]
    if not threads["at_end"]:
        return []
    bounds = ", ".join(f"`{p}*` up to {n}" for p, n in threads["pool_bounds"].items())
    return ["", "## The agent's threads (OS threads, by name)", "",
            f"- after call {report['method']['baseline_call']}: {', '.join(threads['at_baseline'] or [])}",
            f"- at the end: {', '.join(threads['at_end'])}",
            f"- Pools that start workers on demand and keep them (growth within the bound is no leak): "
            f"{bounds}.",
            "- Threads that come and go, never counted: "
            + "; ".join(f"`{name}{'*' if name[-1] in '-_' else ''}`: {why}"
                        for name, why in threads["transient"].items()) + ".",
            "- `python`: native threads without a name of their own (onnxruntime, ...), counted as they are."]


def write_markdown(report: dict[str, Any], path: Path) -> None:
    method, verdicts = report["method"], report["verdict"]
    start, base, end = report["at_start"], report["at_baseline"], report["at_end"]
    v2v = report["caller_v2v_ms"]
    out = [
        "# Soak benchmark: many calls against one `earpiece agent`",
        "",
        run_line(report),
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
        f"{verdict(verdicts['all_answered'])}",
        f"- Agent alive at the end and stopped cleanly (exit code {report['agent_exit_code']}): "
        f"{verdict(verdicts['no_crash'])}",
        f"- RSS growth from call {method['baseline_call']} to the last call < 50 MB: "
        f"{report['rss_growth_mb']} MB — {verdict(verdicts['rss_growth_under_goal'])} "
        f"(trend after call {method['baseline_call']}: {report['rss_slope_mb_per_100_calls']} MB "
        "per 100 calls)",
        f"- No thread leak ({_thread_rule(report, method['baseline_call'])}): "
        f"{verdict(verdicts['no_thread_leak'])}",
        f"- No file descriptor leak: {verdict(verdicts['no_fd_leak'])}",
        f"- Voice-to-voice heard by the callers: p50 {v2v['p50']} ms, p95 {v2v['p95']} ms, "
        f"max {v2v['max']} ms",
    ]
    out += _inside(report)
    out += _threads(report)
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
