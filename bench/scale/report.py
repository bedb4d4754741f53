"""The scale benchmark's markdown summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.e2e.report import ms, run_line, verdict


def goal_lines(runs: list[dict[str, Any]]) -> list[str]:
    """At least 12 simultaneous calls held, with a caller-side p95 no worse than 2 × one call's."""
    by_level = {run["level"]: run for run in runs}
    one = by_level.get(1, {}).get("caller_v2v_ms", {}).get("p95")
    top = max(by_level)
    run = by_level[top]
    lines = [f"- At least 12 simultaneous calls held to the end: {run['calls_held']} of "
             f"{run['calls_placed']} at the top level measured ({top}) — "
             f"{verdict(top >= 12 and run['calls_held'] == run['calls_placed'])}"]
    p95 = run["caller_v2v_ms"]["p95"]
    if one is None or p95 is None:
        lines.append("- p95 against one call: not measured (needs level 1, and replies at the top level)")
    else:
        lines.append(f"- Caller-side p95 at {top} calls ≤ 2 × one call ({ms(one)} ms → limit "
                     f"{ms(2 * one)} ms): {ms(p95)} ms — {verdict(p95 <= 2 * one)}")
    return lines


def _cpu_by_thread(runs: list[dict[str, Any]]) -> list[str]:
    """The agents' CPU per thread group (bench/scale/threads.py says what runs where)."""
    rows = [run for run in runs if run.get("agents_cpu_by_thread_percent_of_one_core")]
    if not rows:
        return []
    groups = list(rows[0]["agents_cpu_by_thread_percent_of_one_core"])
    out = ["", "Where the agents' CPU went (% of one core over the level, summed over the agents; the "
           "audio clock runs sip/bridge_port.py's frame callbacks, the asyncio loop the sessions, "
           "the models and workers STT, TTS and embeddings):", "",
           "| calls | " + " | ".join(groups) + " | per call, all threads |", "|" + "---|" * (len(groups) + 2)]
    for run in rows:
        cpu = run["agents_cpu_by_thread_percent_of_one_core"]
        out.append(f"| {run['level']} | " + " | ".join(f"{cpu[g]:.1f}" for g in groups)
                   + f" | {sum(cpu.values()) / run['level']:.1f} |")
    return out


def write_markdown(report: dict[str, Any], path: Path) -> None:
    method = report["method"]
    out = [
        "# Scale benchmark: one line, several `earpiece agent` processes behind Kamailio's dispatcher",
        "",
        run_line(report),
        "",
        f"Method: {method['agents']} agents (at most {method['max_calls_per_agent']} calls each) behind "
        f"{method['dispatcher']}; {method['caller']}; each call asks {len(method['questions'])} questions "
        f"({method['gap_after_question_s']:g} s of silence after each), calls start "
        f"{method['stagger_s']:g} s apart. Voice-to-voice at the caller: "
        f"{method['voice_to_voice_at_caller']}. Held: {method['held']}.",
        "",
        "| calls | held | per agent | dispatch retries | replies heard / asked | caller v2v p50 | p95 | max "
        "| agent v2v p50 | p95 | max frame gap | agents CPU (% of a core, summed) "
        "| agents RSS peak (MB, summed) | machine busy | load (1 min) |",
        "|" + "---|" * 15,
    ]
    for run in report["runs"]:
        per_agent = ", ".join(f"{n}" for n in run["calls_per_agent"].values())
        out.append(
            f"| {run['level']} | {run['calls_held']} / {run['calls_placed']} | {per_agent} "
            f"| {run['dispatch_retries']} | {run['replies_heard']} / {run['turns']} "
            f"| {ms(run['caller_v2v_ms']['p50'])} | {ms(run['caller_v2v_ms']['p95'])} "
            f"| {ms(run['caller_v2v_ms']['max'])} | {ms(run['agent_v2v_ms']['p50'])} "
            f"| {ms(run['agent_v2v_ms']['p95'])} | {ms(run['max_frame_gap_ms'])} "
            f"| {run.get('agents_cpu_percent_of_one_core', 0):.0f} | {run.get('agents_peak_rss_mb', 0):.0f} "
            f"| {run.get('machine_busy_percent', 0):.0f} % | {run.get('load_average_1min', '–')} |"
        )
    out += ["", "All times in ms.", *_cpu_by_thread(report["runs"])]
    out += ["", "## Goal", "", *goal_lines(report["runs"])]
    errors = [f"- {run['level']} call(s): {error}" for run in report["runs"] for error in run["errors"]]
    if errors:
        out += ["", "## Problems during the run", "", *errors]
    out.append("")
    path.write_text("\n".join(out))
