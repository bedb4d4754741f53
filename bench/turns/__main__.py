"""End-of-turn benchmark: how soon a finished turn is declared over, and how often one that is not
over is cut (a *false cut-in*), on recorded human speech and synthetic voices.

    .venv/bin/python -m bench.turns [--conditions wideband narrowband] [--vads webrtc silero]
                                    [--families timer smart-turn transcript]
                                    [--measured-recognition] [--out turns-human]

Every case (`cases.py`) is pushed frame by frame through `TurnDetector` under each endpointing
setup: the timer (a fixed silence) at several lengths, Smart Turn v3 over a grid of when it is
asked (`turns.model_silence_ms`), its threshold and the fallback silence (`turns.max_silence_ms`),
and the transcript check (`turns.endpointing = transcript`, webrtcvad only) over a grid of the
timer it falls back on, the silence after which a complete transcript ends the turn
(`turns.complete_silence_ms`) and the longest wait on an unfinished one
(`turns.unfinished_silence_ms`). Smart Turn's verdict reaches the detector `--verdict-delay-ms`
after the pause (the quiet-machine inference time). The transcript check reads the product
recogniser's text of each pause's utterance (`transcripts.py`: Moonshine, run here and cached),
and its verdict arrives after the recognition time modelled for the utterance's length
(`simulate.recognition_ms`, quiet-machine figures). So the machine's load changes no outcome; the
inference and recognition times measured here are printed apart. `--measured-recognition` instead
delays each transcript's verdict by the time its recognition took when it was made (this machine,
its load then): what a busy machine does to the transcript check.

Delay is from the end of the last word to the frame at which the turn was declared over (the VAD's
hangover included), on complete cases that were not cut. A cut-in is any turn end declared more than
50 ms before the last word ended: at a pause put in (paused cases) or at the reader's own pause
inside a sentence (complete cases). A turn end whose utterance has less than `SHORT_MS` of voiced
frames (a breath or click before the words) is counted apart, not as a cut-in: the session gives
such a sound no reply when it has no words (`not_caught_min_voiced_ms`), and the words that
follow start a new turn.

The default timer is chosen on dev (both audio conditions pooled): the shortest timer on webrtcvad
(the default VAD) whose cut-ins are at most `CUT_IN_GOAL_PCT` of the cases (issue #13's goal). The
Smart Turn setup and the transcript-check setup with the lowest median delay under that goal on dev
(the transcript check's ties broken by the questions' median delay: ending questions sooner is what it
is for) are named beside it (or, when none meets it, the one with the fewest cut-ins), and so is today's
default (`Settings.turns`). The test split is reported for every setup. Writes
bench/results/<out>.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bench.stt.speech import CONDITIONS
from bench.turns.cases import Case, human_cases, synthetic_cases
from bench.turns.simulate import (
    RECOGNITION_BASE_MS,
    RECOGNITION_MS_PER_S,
    CachedJudge,
    TurnEnd,
    run_case,
    voiced_flags,
)
from bench.turns.transcripts import PauseTranscripts
from earpiece.core.audio.pcm import split_frames
from earpiece.core.audio.smart_turn import load_smart_turn
from earpiece.core.audio.turn_settings import Endpointing, TurnSettings, VadEngine
from earpiece.core.audio.turns import TurnDetector
from earpiece.core.audio.vad import frame_voice_activity
from earpiece.core.engine.config import EngineConfig
from earpiece.core.settings import Settings, VadSettings

RESULTS = Path(__file__).resolve().parents[1] / "results"
# Whole 20 ms frames: the detector rounds a silence to the nearest frame (650 would run as 660).
TIMERS_MS = sorted({400, 500, 600, 640, 700, 740, 800, VadSettings().end_of_turn_ms})
TRANSCRIPT_TIMERS_MS = (600, 640, 700, 740, 800)
COMPLETE_SILENCES_MS = (300, 400, 500, 560, 600, 640)
UNFINISHED_SILENCES_MS = (740, 1000, 1200, 1500)
MODEL_SILENCES_MS = (200, 300)
THRESHOLDS = (0.5, 0.7, 0.8, 0.9, 0.95)
MAX_SILENCES_MS = (600, 800, 1000, 1200)
DEFAULT_VAD = VadEngine.WEBRTC
TIMER_DEFAULT = f"timer {VadSettings().end_of_turn_ms} ms · {DEFAULT_VAD.value}"


def transcript_name(complete: int, timer: int, unfinished: int) -> str:
    return f"transcript {complete} ms, timer {timer} ms, unfinished {unfinished} ms · {DEFAULT_VAD.value}"


_TURNS: TurnSettings = Settings.model_fields["turns"].get_default(call_default_factory=True)
WIRED_TRANSCRIPT = transcript_name(  # TurnSettings()' silences on today's timer
    TurnSettings().complete_silence_ms, VadSettings().end_of_turn_ms, TurnSettings().unfinished_silence_ms
)
DEFAULT = (  # today's default
    transcript_name(_TURNS.complete_silence_ms, VadSettings().end_of_turn_ms, _TURNS.unfinished_silence_ms)
    if _TURNS.endpointing is Endpointing.TRANSCRIPT else TIMER_DEFAULT
)
WIRED_SMART_TURN = "smart-turn 200 ms, p >= 0.5, max 1200 ms · webrtc"  # TurnSettings()' model values
CUT_IN_GOAL_PCT = 5.0
CUT_IN_SLACK_S = 0.05
SHORT_MS = EngineConfig().not_caught_min_voiced_ms
GROUPS = ("human", "synthetic", "all")
FAMILIES = ("timer", "smart-turn", "transcript")


@dataclass(frozen=True)
class Setup:
    name: str
    vad: VadSettings
    turns: TurnSettings

    @property
    def threshold(self) -> float:
        return self.turns.threshold

    @property
    def family(self) -> str:
        """"timer", "smart-turn" or "transcript": the first word of the name."""
        return self.name.split()[0]


def setups(vads: Iterable[str]) -> list[Setup]:
    out: list[Setup] = []
    for engine in vads:
        for ms in TIMERS_MS:
            turns = TurnSettings(endpointing=Endpointing.TIMER, vad=VadEngine(engine))
            out.append(Setup(f"timer {ms} ms · {engine}", VadSettings(end_of_turn_ms=ms), turns))
        for asked in MODEL_SILENCES_MS:
            for threshold in THRESHOLDS:
                for most in MAX_SILENCES_MS:
                    turns = TurnSettings(
                        endpointing=Endpointing.SMART_TURN, vad=VadEngine(engine), threshold=threshold,
                        model_silence_ms=asked, max_silence_ms=most,
                    )
                    name = f"smart-turn {asked} ms, p >= {threshold}, max {most} ms · {engine}"
                    out.append(Setup(name, VadSettings(), turns))
    if DEFAULT_VAD.value in vads:
        for timer in TRANSCRIPT_TIMERS_MS:
            for complete in COMPLETE_SILENCES_MS:
                for unfinished in (u for u in UNFINISHED_SILENCES_MS if u >= timer > complete):
                    turns = TurnSettings(
                        endpointing=Endpointing.TRANSCRIPT, vad=DEFAULT_VAD,
                        complete_silence_ms=complete, unfinished_silence_ms=unfinished,
                    )
                    name = transcript_name(complete, timer, unfinished)
                    out.append(Setup(name, VadSettings(end_of_turn_ms=timer), turns))
    return out


def outcome(case: Case, ends: list[TurnEnd]) -> dict[str, Any]:
    before = [e for e in ends if e.detected_s < case.spoken_end_s - CUT_IN_SLACK_S]
    early = [e for e in before if e.voiced_ms >= SHORT_MS]
    final = [e for e in ends if e.detected_s >= case.spoken_end_s - CUT_IN_SLACK_S]
    last = final[0] if final else None
    return {
        "id": case.id,
        "cut_in": bool(early),
        "cut_at_s": round(early[0].detected_s, 2) if early else None,
        "short_ends": len(before) - len(early),
        "delay_ms": round((last.detected_s - case.spoken_end_s) * 1000) if last else None,
        "by_model": bool(last and last.by_model),
        "forced": bool(last and last.forced) or last is None,
    }


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q))) if values else None


def summary(cases: list[Case], outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    paused = [o for c, o in zip(cases, outcomes, strict=True) if c.kind == "paused"]
    complete = [o for c, o in zip(cases, outcomes, strict=True) if c.kind == "complete"]
    heard = [(c, o) for c, o in zip(cases, outcomes, strict=True)
             if c.kind == "complete" and not o["cut_in"] and o["delay_ms"] is not None]
    delays = [o["delay_ms"] for _, o in heard]
    questions = [o["delay_ms"] for c, o in heard if c.text.rstrip().endswith("?")]
    cut = sum(o["cut_in"] for o in paused) + sum(o["cut_in"] for o in complete)
    return {
        "paused": len(paused),
        "paused_cut_in": sum(o["cut_in"] for o in paused),
        "complete": len(complete),
        "complete_cut_in": sum(o["cut_in"] for o in complete),
        "cut_ins": cut,
        "cut_in_pct": round(100 * cut / max(1, len(paused) + len(complete)), 1),
        "delay_ms_p50": _pct(delays, 50),
        "delay_ms_p95": _pct(delays, 95),
        "questions": len(questions),  # complete cases that are questions (the text ends with "?")
        "question_delay_ms_p50": _pct(questions, 50),
        "question_delay_ms_p95": _pct(questions, 95),
        "ended_by_model": sum(o["by_model"] for o in complete),
        "short_ends": sum(o["short_ends"] for o in outcomes),
        "never_ended": sum(o["forced"] for o in outcomes),
    }


def _group(case: Case, group: str) -> bool:
    return group == "all" or case.human == (group == "human")


def evaluate(args: argparse.Namespace) -> dict[str, Any]:
    model = load_smart_turn(TurnSettings())
    judge = CachedJudge(model)
    transcripts = PauseTranscripts()
    synthetic, left_out = synthetic_cases()
    base = human_cases() + synthetic
    all_setups = [s for s in setups(args.vads) if s.family in args.families]
    outcomes: dict[str, dict[str, list[dict[str, Any]]]] = {s.name: {} for s in all_setups}
    cases_by_condition: dict[str, list[Case]] = {}
    for condition in args.conditions:
        cases = base if condition == "wideband" else [c.narrowband(n) for n, c in enumerate(base)]
        cases_by_condition[condition] = cases
        frames = [split_frames(c.pcm, 0.0) for c in cases]
        for engine in args.vads:
            vad_turns = TurnSettings(vad=VadEngine(engine))
            voiced = [voiced_flags(f, frame_voice_activity(vad_turns)) for f in frames]
            for setup in (s for s in all_setups if s.turns.vad == engine):
                results = []
                for case, case_frames, flags in zip(cases, frames, voiced, strict=True):
                    vad = frame_voice_activity(vad_turns)
                    detector = TurnDetector(setup.vad, turns=setup.turns, vad=vad)
                    ends = run_case(case_frames, flags, detector, judge, setup.threshold,
                                    args.verdict_delay_ms, transcripts, args.measured_recognition)
                    results.append(outcome(case, ends))
                outcomes[setup.name][condition] = results
            print(f"{condition} · {engine}: setups done ({len(judge.compute_ms)} model calls, "
                  f"{transcripts.recognised} recognitions so far)", flush=True)
    summaries: dict[str, dict[str, dict[str, Any]]] = {}
    for name, by_condition in outcomes.items():
        summaries[name] = {}
        for split in ("dev", "test"):
            for group in GROUPS:
                for condition in [*args.conditions, "both"]:
                    conditions = args.conditions if condition == "both" else [condition]
                    pairs = [
                        (c, o)
                        for cond in conditions
                        for c, o in zip(cases_by_condition[cond], by_condition[cond], strict=True)
                        if c.split == split and _group(c, group)
                    ]
                    summaries[name][f"{split}/{group}/{condition}"] = summary(
                        [p[0] for p in pairs], [p[1] for p in pairs]
                    )
    choice = choose(summaries)
    return {
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "verdict_delay_ms": args.verdict_delay_ms,
        "measured_recognition": args.measured_recognition,
        "turn_model_ms_p50": _pct(judge.compute_ms, 50),
        "turn_model_ms_p95": _pct(judge.compute_ms, 95),
        "recognition_ms_p50": _pct(transcripts.compute_ms, 50),
        "recognition_ms_p95": _pct(transcripts.compute_ms, 95),
        "pause_transcripts": len(transcripts.compute_ms),
        "recognitions_run": transcripts.recognised,
        "conditions": list(args.conditions),
        "cases": {
            f"{split}/{kind}/{'human' if human else 'synthetic'}": sum(
                c.split == split and c.kind == kind and c.human == human for c in base
            )
            for split in ("dev", "test") for kind in ("complete", "paused") for human in (True, False)
        },
        "synthetic_left_out": left_out,
        "choice": choice,
        "summaries": summaries,
        "cut_ins": {
            name: [
                {"condition": cond, "split": c.split, "source": c.source, "text": c.text,
                 "pauses_ms": list(c.pauses_ms), "cut_at_s": o["cut_at_s"]}
                for cond in args.conditions
                for c, o in zip(cases_by_condition[cond], outcomes[name][cond], strict=True)
                if o["cut_in"]
            ]
            for name in dict.fromkeys(
                n for n in (choice["default"], choice["chosen"], choice["best_smart_turn"],
                            choice["best_transcript"], WIRED_TRANSCRIPT)
                if n in summaries
            )
        },
    }


def choose(summaries: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """The shortest default-VAD timer under the cut-in goal on dev, and the best Smart Turn setup."""
    key = "dev/all/both"

    def rank(name: str) -> tuple[float, float, int]:
        s = summaries[name][key]
        return (s["delay_ms_p50"] or 1e9, s["delay_ms_p95"] or 1e9, s["cut_ins"])

    under = [n for n, s in summaries.items() if s[key]["cut_in_pct"] <= CUT_IN_GOAL_PCT]
    timers = [n for n in under if n.startswith("timer") and n.endswith(f" · {DEFAULT_VAD.value}")]

    def question_rank(name: str) -> tuple[float, float, float, int]:
        """The transcript check exists to end questions sooner: among equal medians, that decides."""
        s = summaries[name][key]
        return (s["delay_ms_p50"] or 1e9, s.get("question_delay_ms_p50") or 1e9, s["delay_ms_p95"] or 1e9,
                s["cut_ins"])

    def best(kind: str) -> tuple[str | None, bool]:
        good = [n for n in under if n.startswith(kind)]
        if good:
            return min(good, key=question_rank if kind == "transcript" else rank), True
        tried = [n for n in summaries if n.startswith(kind)]
        return (min(tried, key=lambda n: summaries[n][key]["cut_ins"]) if tried else None), False

    best_smart, smart_under = best("smart-turn")
    best_transcript, transcript_under = best("transcript")
    default = DEFAULT if DEFAULT in summaries else TIMER_DEFAULT
    return {"default": default, "chosen": min(timers, key=rank) if timers else None,
            "best_smart_turn": best_smart, "smart_turn_under_goal": smart_under,
            "best_transcript": best_transcript, "transcript_under_goal": transcript_under}


def _row(name: str, s: dict[str, dict[str, Any]], split: str, conditions: list[str]) -> str:
    h, y, a = (s[f"{split}/{g}/both"] for g in GROUPS)
    per_condition = " | ".join(f"{s[f'{split}/all/{c}']['cut_ins']}" for c in conditions)
    return (
        f"| {name} | {h['paused_cut_in']}/{h['paused']} | {h['complete_cut_in']}/{h['complete']} | "
        f"{y['paused_cut_in']}/{y['paused']} | {a['cut_ins']} ({a['cut_in_pct']} %) | {per_condition} | "
        f"{a['delay_ms_p50']} / {a['delay_ms_p95']} | {h['delay_ms_p50']} / {h['delay_ms_p95']} | "
        f"{a.get('question_delay_ms_p50')} / {a.get('question_delay_ms_p95')} ({a.get('questions')}) | "
        f"{a['ended_by_model']}/{a['complete']} | {a['short_ends']} |"
    )


def markdown(result: dict[str, Any]) -> str:
    choice, summaries, conditions = result["choice"], result["summaries"], result["conditions"]
    header = (
        "| setup | human paused: cut | human complete: cut at own pause | synthetic paused: cut "
        "| all cut-ins | " + " | ".join(f"cut-ins {c}" for c in conditions)
        + " | delay p50 / p95 (ms) | human delay p50 / p95 | questions' delay p50 / p95 (cases) "
        "| complete ended by a verdict | short sounds ended (not cut-ins) |"
    )
    rule = "|" + "---|" * (11 + len(conditions) - 1)
    chosen, key = choice["chosen"], "dev/all/both"

    def figures(name: str) -> str:
        d = summaries[name][key]
        return (f"{d['cut_ins']} cut-ins ({d['cut_in_pct']} %), delay p50 / p95 "
                f"{d['delay_ms_p50']} / {d['delay_ms_p95']} ms")

    goal = f"at most {CUT_IN_GOAL_PCT:g} % cut-ins"
    verdict = (
        f"the shortest {DEFAULT_VAD.value} timer with {goal} on dev is **{chosen}** ({figures(chosen)})"
        if chosen
        else f"no {DEFAULT_VAD.value} timer has {goal} on dev"
    ) + f"; today's default is {choice['default']} ({figures(choice['default'])}). "
    for label, best, under in (
        ("Smart Turn", choice["best_smart_turn"], choice["smart_turn_under_goal"]),
        ("transcript-check", choice["best_transcript"], choice["transcript_under_goal"]),
    ):
        if best:
            verdict += (f"The {label} setup with {goal} and the lowest median: {best}" if under
                        else f"No {label} setup has {goal}; the one with the fewest: {best}")
            verdict += f" ({figures(best)}). "
    verdict += "The test split below shows whether they hold."
    interesting = [n for n in (chosen, choice["default"], TIMER_DEFAULT, choice["best_transcript"],
                               WIRED_TRANSCRIPT) if n in summaries]
    interesting += [n for n in (choice["best_smart_turn"], WIRED_SMART_TURN) if n in summaries]
    interesting += [n for n in summaries if n.startswith("timer") and n not in interesting]
    lines = [
        "# End of turn on recorded human speech and synthetic voices",
        "",
        f"{result['when']} on {result['machine']}, load average {result['load_average']}. Cut-in counts "
        + ("depend on the machine's load when the transcripts were made: "
           if result.get("measured_recognition") else "do not depend on the machine's load: ")
        + (f"the Smart Turn model's verdict is taken to arrive {result['verdict_delay_ms']} ms after the "
           f"pause (its time measured here, p50 / p95 {result['turn_model_ms_p50']} / "
           f"{result['turn_model_ms_p95']} ms, is a smoke figure); "
           if result["turn_model_ms_p50"] is not None else "")
        + ("the transcript check's verdict is taken to arrive after the time each pause's transcript "
           "took when it was made (measured, on this shared machine). "
           if result.get("measured_recognition") else
           f"the transcript check's verdict is taken to arrive {RECOGNITION_BASE_MS:g} ms + "
           f"{RECOGNITION_MS_PER_S:g} ms per second of utterance after the pause (Moonshine tiny on a "
           f"quiet core). ")
        + f"The {result['pause_transcripts']} pause transcripts took p50 / p95 "
        f"{result['recognition_ms_p50']} / {result['recognition_ms_p95']} ms when they were made, on this "
        f"shared machine ({result['recognitions_run']} in this run, the rest read from the cache). A "
        f"transcript that comes later ends a complete turn later (never after the timer), and an "
        f"unfinished verdict that comes after the timer has fired cannot hold the turn open.",
        "",
        "Cases per split: " + ", ".join(f"{k} {v}" for k, v in result["cases"].items())
        + f"; each in {' and '.join(conditions)} audio (counts below pool the conditions). Synthetic "
        f"sentences left out because Whisper did not find their words: {len(result['synthetic_left_out'])}.",
        "",
        f"**Choice (on dev):** {verdict}",
        "",
        "## Test split",
        "",
        header,
        rule,
        *[_row(n, summaries[n], "test", conditions) for n in dict.fromkeys(interesting)],
        "",
        "## Dev split (every setup; the choice is made here)",
        "",
        header,
        rule,
        *[_row(n, summaries[n], "dev", conditions) for n in summaries],
        "",
        "Human: recorded readings shipped with moonshine-voice (see bench/turns/recordings.py); paused = "
        "a 300-700 ms silence put in at a word gap inside a clause; complete = the sentence as read, whose "
        "own pauses at commas count as cut-ins when a turn ends there. Synthetic: Piper and eSpeak NG, a "
        "sentence spoken whole and cut at a hesitation point. Narrowband: 300-3400 Hz, G.711 mu-law, "
        "white noise 25 dB below the speech. Delay: end of the last word to the turn's end, complete "
        "cases not cut.",
    ]
    for name, cuts in result["cut_ins"].items():
        test_cuts = [c for c in cuts if c["split"] == "test"]
        lines += ["", f"### Test cut-ins: {name} ({len(test_cuts)})", ""]
        lines += [
            f'- {c["condition"]}, {c["source"]}: "{c["text"]}" '
            f'(pauses {c["pauses_ms"]} ms; cut at {c["cut_at_s"]} s)'
            for c in test_cuts
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--conditions", nargs="+", default=list(CONDITIONS), choices=CONDITIONS)
    engines = [e.value for e in VadEngine]
    parser.add_argument("--vads", nargs="+", default=engines, choices=engines)
    parser.add_argument("--measured-recognition", action="store_true",
                        help="the transcript check's verdict after each pause transcript's measured time "
                             "(this machine, its load when the transcript was made), not the modelled one")
    parser.add_argument("--verdict-delay-ms", type=float, default=60.0,
                        help="when the model's verdict reaches the detector after the pause")
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=FAMILIES,
                        help="which kinds of endpointing to run (the timer is always needed)")
    parser.add_argument("--out", default="turns-human")
    args = parser.parse_args()
    if "timer" not in args.families:
        parser.error("the timer is the baseline: keep it in --families")
    if DEFAULT_VAD.value not in args.vads:
        parser.error(f"the default timer uses {DEFAULT_VAD.value}: keep it in --vads")
    result = evaluate(args)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    (RESULTS / f"{args.out}.md").write_text(markdown(result), encoding="utf-8")
    print(markdown(result))


if __name__ == "__main__":
    main()
