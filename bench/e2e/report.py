"""The end-to-end benchmark's chart (PNG) and markdown summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

# Where the time between the caller's last word and the first reply sound goes, in order.
PARTS = (
    ("endpoint delay", "#8da0cb"),
    ("STT after endpoint", "#66c2a5"),
    ("LLM TTFT", "#e78ac3"),
    ("TTS TTFB", "#fc8d62"),
    ("rest in agent (retrieval, queueing)", "#a6d854"),
    ("outside the agent's figure (its VAD's hangover, RTP both ways, TTS's silent start)", "#b3b3b3"),
)


def breakdown(row: dict[str, Any]) -> dict[str, float] | None:
    """One turn's voice-to-voice at the caller, cut into sequential parts (ms)."""
    if row["caller_v2v_ms"] is None or row["agent_v2v_ms"] is None:
        return None
    endpoint = row["endpoint_delay_ms"] or 0.0
    stt_after = max(0.0, (row["stt_ms"] or 0.0) - endpoint)
    llm = row["llm_ttft_ms"] or 0.0
    tts = row["tts_ttfb_ms"] or 0.0
    rest = max(0.0, row["agent_v2v_ms"] - endpoint - stt_after - llm - tts)
    return dict(zip([p for p, _ in PARTS], [endpoint, stt_after, llm, tts, rest,
                                             row["caller_v2v_ms"] - row["agent_v2v_ms"]], strict=True))


def mean_breakdown(run: dict[str, Any]) -> dict[str, float]:
    parts = [b for row in run["turn_rows"] if (b := breakdown(row)) is not None]
    return {name: float(np.mean([p[name] for p in parts])) if parts else 0.0 for name, _ in PARTS}


def _label(run: dict[str, Any]) -> str:
    return f"{run['profile']}\n{run['level']} call{'s' if run['level'] > 1 else ''}"


def write_chart(report: dict[str, Any], path: Path) -> None:
    runs = report["runs"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5))
    labels = [_label(r) for r in runs]
    data = [[t["caller_v2v_ms"] for t in r["turn_rows"] if t["caller_v2v_ms"] is not None] or [0.0]
            for r in runs]
    left.boxplot(data, whis=(5, 95), showfliers=True)
    left.set_xticks(range(1, len(labels) + 1), labels, fontsize=8)
    one, four = GOALS["one_call"], GOALS["four_calls"]
    for y, text, colour in ((one["p50_ms"], "goal p50, 1 call", "green"),
                            (one["p95_ms"], "goal p95, 1 call", "orange"),
                            (four["p95_ms"], "goal p95, 4 calls", "red")):
        left.axhline(y, linestyle="--", linewidth=1, color=colour, label=text)
    left.set_ylabel("voice-to-voice at the caller (ms)")
    left.set_title("Voice-to-voice heard by the caller (box: p25-p75, whiskers p5-p95)")
    left.legend(fontsize=8, loc="upper left")
    bottoms = np.zeros(len(runs))
    for name, colour in PARTS:
        heights = np.array([mean_breakdown(r)[name] for r in runs])
        right.bar(range(len(runs)), heights, bottom=bottoms, color=colour, label=name)
        bottoms += heights
    right.set_xticks(range(len(runs)), labels, fontsize=8)
    right.set_ylabel("ms (mean per turn)")
    right.set_title("Where the time goes")
    right.legend(fontsize=8)
    machine = report["machine"]
    fig.suptitle(f"earpiece agent end to end — {machine['cpus']} CPUs ({machine['cpu']}), "
                 f"load {machine['load_average_start'][0]}, {report['started_at']}", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def load_words(machine: dict[str, Any]) -> str:
    """What the load average at the start says about the run (the end's includes the benchmark's
    own load); a benchmark means something only on its own."""
    if machine["load_average_start"][0] < 1.5:
        return "nothing else was running at the start"
    return "**other work was running at the same time, so the figures are noisy (and pessimistic)**"


def run_line(report: dict[str, Any]) -> str:
    """The report's first line: when, on what, under what load, for how long."""
    machine = report["machine"]
    return (
        f"{report['started_at']} on {machine['platform']}, Python {machine['python']}, "
        f"{machine['cpus']} CPUs ({machine['cpu']}). Load average {machine['load_average_start'][0]} at "
        f"the start and {machine['load_average_end'][0]} at the end: {load_words(machine)}. "
        f"Took {report['duration_s']:.0f} s."
    )


def ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


# Issue #13's goals (caller-measured, offline stack, this 2-core machine).
GOALS: dict[str, dict[str, int]] = {
    "one_call": {"p50_ms": 600, "p95_ms": 900},
    "four_calls": {"p95_ms": 1200, "max_frame_gap_ms": 40},
}


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def goal_lines(report: dict[str, Any]) -> list[str]:
    lines = []
    offline = {r["level"]: r for r in report["runs"] if r["profile"] == "offline"}
    goal_one, goal_four = GOALS["one_call"], GOALS["four_calls"]
    if 1 in offline:
        one = offline[1]["caller_v2v_ms"]
        if one["p50"] is not None and one["p95"] is not None:
            for key, limit in (("p50", goal_one["p50_ms"]), ("p95", goal_one["p95_ms"])):
                ok = verdict(one[key] <= limit)
                lines.append(f"- One call, {key} ≤ {limit} ms: {ms(one[key])} ms — {ok}")
    if 4 in offline:
        four = offline[4]
        p95, gap = four["caller_v2v_ms"]["p95"], four["max_frame_gap_ms"]
        if p95 is not None:
            limit = goal_four["p95_ms"]
            lines.append(f"- Four calls, p95 ≤ {limit} ms: {ms(p95)} ms — {verdict(p95 <= limit)}")
        if gap is not None:
            limit = goal_four["max_frame_gap_ms"]
            lines.append(f"- Four calls, no frame gap over {limit} ms: largest {gap:.0f} ms — "
                         f"{verdict(gap <= limit)}")
    return lines


SPLIT_HEADER = (
    "| run | agent's VAD tail (its end of speech after the caller's) | receive (RTP, jitter buffer, bridge) "
    "| send (tick, bridge, RTP, the voice's silent start) | quiet start (first sound -> first frame above "
    "the threshold) | dumps minus wire |"
)


def split_lines(report: dict[str, Any]) -> list[str]:
    """The table of how the caller's figure exceeds the agent's (runs whose packets were timed)."""
    runs = [r for r in report["runs"] if any(v is not None for v in (r.get("split_p50_ms") or {}).values())]
    if not runs:
        return []
    out = ["", "## Between the agent's figure and the caller's (median per turn, ms; bench/e2e/wire.py)", "",
           SPLIT_HEADER, "|" + "---|" * 6]
    for run in runs:
        parts = run["split_p50_ms"]
        cells = [parts["vad_tail_ms"], parts["receive_ms"], parts["send_ms"], parts["quiet_start_ms"],
                 run["dump_minus_wire_ms_p50"]]
        out.append(f"| {run['profile']}, {run['level']} call(s) | " + " | ".join(ms(c) for c in cells) + " |")
    return out


def write_markdown(report: dict[str, Any], path: Path) -> None:
    out = [
        "# End-to-end benchmark: `earpiece agent` over real SIP calls",
        "",
        run_line(report),
        "",
        f"Method: {report['method']['caller']}; each call asks "
        f"{len(report['method']['questions'])} questions "
        f"({report['method']['gap_after_question_s']:g} s of silence after each), calls start "
        f"{report['method']['stagger_s']:g} s apart. Voice-to-voice at the caller: "
        f"{report['method']['voice_to_voice_at_caller']}. Stage figures are the agent's own (its call JSON, "
        "medians); *agent v2v* ends when the first reply audio is handed to the call.",
        "",
        "| run | calls | replies heard / asked | caller v2v p50 | p95 | max | from the dumps alone p50 | p95 "
        "| agent v2v p50 | p95 "
        "| endpoint | STT (from end of speech) | STT compute | retrieval | LLM TTFT | TTS TTFB "
        "| max frame gap | agent CPU (% of a core) | agent RSS peak (MB) | machine busy |",
        "|" + "---|" * 20,
    ]
    for run in report["runs"]:
        stages = run["stages_p50_ms"]
        dumps = run.get("dump_v2v_ms") or {}  # only when the caller figure came from the wire
        out.append(
            f"| {run['profile']} | {run['level']} | {run['replies_heard']} / {run['turns']} "
            f"| {ms(run['caller_v2v_ms']['p50'])} | {ms(run['caller_v2v_ms']['p95'])} "
            f"| {ms(run['caller_v2v_ms']['max'])} | {ms(dumps.get('p50'))} | {ms(dumps.get('p95'))} "
            f"| {ms(run['agent_v2v_ms']['p50'])} "
            f"| {ms(run['agent_v2v_ms']['p95'])} | {ms(stages['endpoint_delay_ms'])} "
            f"| {ms(stages['stt_ms'])} | {ms(stages['stt_compute_ms'])} | {ms(stages['retrieval_ms'])} "
            f"| {ms(stages['llm_ttft_ms'])} | {ms(stages['tts_ttfb_ms'])} | {ms(run['max_frame_gap_ms'])} "
            f"| {run['agent_cpu_percent_of_one_core']:.0f} | {run['agent_peak_rss_mb']:.0f} "
            f"| {run['machine_busy_percent']:.0f} % |"
        )
    offsets = [f"{run['profile']}, {run['level']} call(s): {ms(run['dump_minus_wire_ms_p50'])}"
               for run in report["runs"] if run.get("dump_minus_wire_ms_p50") is not None]
    if offsets:
        out += ["", "The dumps alone against the wire (median, ms; negative: the dumps read low): "
                + "; ".join(offsets) + "."]
    out += ["", "All times in ms. ![chart](e2e.png)", "", "## Goals (offline stack)", ""]
    out += goal_lines(report) or ["- (the offline runs needed for the goals were not part of this run)"]
    out += ["", "## Where the time goes (mean per turn, ms)", ""]
    out += ["| run | " + " | ".join(name for name, _ in PARTS) + " | dominant |",
            "|" + "---|" * (len(PARTS) + 2)]
    for run in report["runs"]:
        parts = mean_breakdown(run)
        dominant = max(parts, key=lambda name: parts[name])
        out.append(f"| {run['profile']}, {run['level']} call(s) | "
                   + " | ".join(f"{parts[name]:.0f}" for name, _ in PARTS) + f" | {dominant} |")
    out += split_lines(report)
    errors = [f"- {run['profile']}, {run['level']} call(s): {error}"
              for run in report["runs"] for error in run["errors"]]
    if errors:
        out += ["", "## Problems during the run", "", *errors]
    out.append("")
    path.write_text("\n".join(out))
