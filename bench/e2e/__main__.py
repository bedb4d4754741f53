"""Run the end-to-end benchmark (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench.e2e.report import write_chart, write_markdown
from bench.e2e.sampler import ProcessSampler
from tests.audio_gen import piper_speech
from tests.e2e.harness import SPEECH_DBFS, AgentProcess, CallerScript, HeardTurn, ScriptedCall, analyse
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server
from tests.peers.kamailio import Kamailio

RESULTS = Path(__file__).resolve().parents[1] / "results"
QUESTIONS = (
    "How often should I change the water filter?",
    "Do you deliver outside the UK?",
    "How long do I have to return a product for a full refund?",
    "Do you offer a student discount?",
    "Where is my order number?",
    "Which payment methods do you accept?",
    "Is the Barista One dishwasher safe?",
    "How loud is the Barista One?",
)
CLOUD_REPLY = "Standard delivery costs four pounds ninety five. It is free on orders over fifty pounds."
STAGE_KEYS = ("endpoint_delay_ms", "stt_ms", "stt_compute_ms", "retrieval_ms", "llm_ttft_ms", "tts_ttfb_ms")
MATCH_WINDOW_S = 2.0  # a caller's end of speech and the agent's, on the shared monotonic clock


@dataclass(slots=True)
class Profile:
    name: str
    description: str
    levels: list[int]
    env: dict[str, str] = field(default_factory=dict)


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values, dtype=float), q)), 1) if values else None


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e", description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4], help="simultaneous calls")
    parser.add_argument("--questions", type=int, default=6, help=f"questions per call (max {len(QUESTIONS)})")
    parser.add_argument("--gap", type=float, default=15.0, help="seconds of silence after each question")
    parser.add_argument("--stagger", type=float, default=0.9, help="seconds between the calls' starts")
    parser.add_argument("--cloud-ttft-ms", type=float, nargs="*", default=[],
                        help="also run one call against a local OpenAI-compatible stand-in with this "
                        "first-token delay (repeatable)")
    parser.add_argument("--end-of-turn-ms", type=int, nargs="*", default=[],
                        help="also run one call with this end-of-turn silence (default setting: 600)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()

    questions = list(QUESTIONS[: max(1, min(args.questions, len(QUESTIONS)))])
    print(f"making the caller's speech for {len(questions)} questions (Piper)...", flush=True)
    speeches = [piper_speech(q) for q in questions]
    offline = "offline stack (Whisper tiny.en, MiniLM + Chroma, offline responder, Piper)"
    profiles = [Profile("offline", offline, args.levels)]
    for ms in args.cloud_ttft_ms:
        profiles.append(Profile(
            f"cloud-llm-{ms:g}ms",
            f"LLM: local OpenAI-compatible stand-in, first token after {ms:g} ms (rest offline)",
            [1],
            {"EARPIECE_LLM__PROVIDERS": '["openai", "offline"]', "EARPIECE_LLM__OPENAI_MODEL": "stand-in",
             "EARPIECE_SECRET_OPENAI": "bench-key", "_TTFT_S": str(ms / 1000)},
        ))
    for ms in args.end_of_turn_ms:
        profiles.append(Profile(f"offline-eot-{ms}ms", f"offline stack, end-of-turn silence {ms} ms", [1],
                                {"EARPIECE_VAD__END_OF_TURN_MS": str(ms)}))

    started = datetime.now()
    machine = machine_facts()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-e2e-") as tmp, \
            Kamailio(users={"agent": "agent-pw"}) as registrar:
        for profile in profiles:
            results += run_profile(profile, registrar, Path(tmp) / profile.name, questions, speeches, args)
    machine["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {
        "benchmark": "e2e",
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round((datetime.now() - started).total_seconds(), 1),
        "machine": machine,
        "method": {
            "questions": questions,
            "gap_after_question_s": args.gap,
            "stagger_s": args.stagger,
            "caller": "baresip 1.0 (aufile source = Piper speech WAV, sndfile dumps), G.722 via Kamailio",
            "voice_to_voice_at_caller": "end of the caller's speech in its sent audio (-enc dump) -> first "
            f"20 ms frame above {SPEECH_DBFS:g} dBFS in its received audio (-dec dump), both dumps counted "
            "from their first frame (20 ms each). Caveat: the -dec dump starts at the first RTP packet "
            "received, slightly before baresip's own microphone (the -enc dump) starts, so the caller "
            "figure is pessimistic by up to ~0.1 s; it also includes baresip's send and jitter buffers. "
            "The agent figure (first reply audio handed to the call) is the lower bound",
        },
        "goals": {
            "one_call": {"p50_ms": 800, "p95_ms": 1200},
            "four_calls": {"p95_ms": 2000, "max_frame_gap_ms": 40},
        },
        "runs": results,
    }
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "e2e.json").write_text(json.dumps(report, indent=2))
    write_chart(report, args.output / "e2e.png")
    write_markdown(report, args.output / "e2e.md")
    print((args.output / "e2e.md").read_text())
    return 0


def run_profile(profile: Profile, registrar: Kamailio, home: Path, questions: list[str],
                speeches: list[bytes], args: argparse.Namespace) -> list[dict[str, Any]]:
    env = {k: v for k, v in profile.env.items() if not k.startswith("_")}
    with contextlib.ExitStack() as stack:
        if "_TTFT_S" in profile.env:
            fake = stack.enter_context(fake_openai_server(FakeConfig(
                mode=Mode.SLOW_FIRST, reply=CLOUD_REPLY, first_token_delay_s=float(profile.env["_TTFT_S"]))))
            env["EARPIECE_LLM__OPENAI_BASE_URL"] = fake.openai_base_url
        print(f"[{profile.name}] starting earpiece agent...", flush=True)
        agent = stack.enter_context(
            AgentProcess(registrar, "agent", "agent-pw", home, max_calls=max(profile.levels), extra_env=env)
        )
        out = []
        for level in profile.levels:
            print(f"[{profile.name}] {level} simultaneous call(s)...", flush=True)
            result = run_level(agent, registrar, home / f"level-{level}", questions, speeches, level, args)
            result.update(profile=profile.name, description=profile.description)
            print(f"[{profile.name}] {level} call(s): caller v2v p50 {result['caller_v2v_ms']['p50']} ms, "
                  f"p95 {result['caller_v2v_ms']['p95']} ms, max frame gap {result['max_frame_gap_ms']} ms",
                  flush=True)
            out.append(result)
        code = agent.terminate(60)
        if code != 0:
            print(f"[{profile.name}] warning: the agent exited with {code}")
    return out


def run_level(agent: AgentProcess, registrar: Kamailio, folder: Path, questions: list[str],
              speeches: list[bytes], level: int, args: argparse.Namespace) -> dict[str, Any]:
    known = len(agent.records())
    orders = [[(k + i) % len(questions) for i in range(len(questions))] for k in range(level)]
    scripts = [CallerScript.build([speeches[i] for i in order], lead_s=5.0, gap_s=args.gap, tail_s=3.0)
               for order in orders]
    with contextlib.ExitStack() as stack:
        calls = [stack.enter_context(ScriptedCall(registrar, script, f"l{level}c{k}", folder / f"call{k}"))
                 for k, script in enumerate(scripts)]
        sampler = ProcessSampler(agent.pid)
        sampler.start()
        errors = place_calls(calls, agent.uri, args.stagger)
        usage = sampler.stop()
        records = agent.wait_records(known + level, timeout=30)[known:]
        turns: list[dict[str, Any]] = []
        gaps: list[float] = []
        phases: list[list[dict[str, Any]]] = []
        for k, call in enumerate(calls):
            record = next((r for r in records if f"l{level}c{k}@" in r["sip"]["remote_uri"]), None)
            if record is None or call.established_at is None:
                errors.append(f"call {k}: no agent record or not established")
                continue
            gaps.append(record["audio"]["max_frame_gap_ms"])
            phases.append(record["audio"]["frame_gaps"])
            heard_turns = analyse(call.sent(), call.heard(), call.script)
            asked = [questions[i] for i in orders[k]]
            matched = match_turns(k, heard_turns, asked, call.established_at, record)
            if any(row["agent_v2v_ms"] is None for row in matched):
                said = [f"{e['t']:.1f}s {e['speaker']}: {e['text']}" for e in record["transcript"]]
                errors.append(f"call {k}: a question without an agent turn; the agent's transcript: {said}; "
                              f"events: {record['events']}")
            turns += matched
    result = summarise(level, turns, gaps, usage, errors)
    result["frame_gaps_by_phase"] = phases
    return result


def match_turns(call_index: int, heard: list[HeardTurn], asked: list[str], established_at: float,
                record: dict[str, Any]) -> list[dict[str, Any]]:
    """Pair each question as the caller measured it with the agent's turn for it (by time)."""
    agent_turns = [t for t in record["turns"] if t["speaker"] == "caller"]
    out = []
    for turn, question in zip(heard, asked, strict=True):
        at = established_at + turn.end_of_speech_s
        candidates = [t for t in agent_turns if abs(t["end_of_speech_at"] - at) < MATCH_WINDOW_S]
        mine = min(candidates, key=lambda t: abs(t["end_of_speech_at"] - at)) if candidates else None
        row: dict[str, Any] = {
            "call": call_index,
            "question": question,
            "caller_v2v_ms": turn.voice_to_voice_ms,
            "agent_v2v_ms": mine["voice_to_voice_ms"] if mine else None,
            "heard_as": mine["question"] if mine else None,
            "answer": mine["answer"] if mine else None,
            "interrupted": mine["interrupted"] if mine else None,
            "clock_offset_ms": round((mine["end_of_speech_at"] - at) * 1000, 1) if mine else None,
        }
        row.update({key: mine.get(key) if mine else None for key in STAGE_KEYS})
        row["stt_early"] = mine["stt_early"] if mine else None
        out.append(row)
    return out


def summarise(level: int, turns: list[dict[str, Any]], gaps: list[float], usage: dict[str, float],
              errors: list[str]) -> dict[str, Any]:
    def values(key: str) -> list[float]:
        return [float(t[key]) for t in turns if t.get(key) is not None]

    caller, agent_side = values("caller_v2v_ms"), values("agent_v2v_ms")
    transport = [t["caller_v2v_ms"] - t["agent_v2v_ms"] for t in turns
                 if t["caller_v2v_ms"] is not None and t["agent_v2v_ms"] is not None]
    return {
        "level": level,
        "turns": len(turns),
        "replies_heard": len(caller),
        "agent_turns_matched": len(agent_side),
        "caller_v2v_ms": {"p50": percentile(caller, 50), "p95": percentile(caller, 95),
                          "max": max(caller, default=None)},
        "agent_v2v_ms": {"p50": percentile(agent_side, 50), "p95": percentile(agent_side, 95)},
        "caller_minus_agent_ms_p50": percentile(transport, 50),
        "stages_p50_ms": {key: percentile(values(key), 50) for key in STAGE_KEYS},
        "stages_p95_ms": {key: percentile(values(key), 95) for key in STAGE_KEYS},
        "stt_early_share": round(sum(bool(t["stt_early"]) for t in turns) / len(turns), 2) if turns else None,
        "max_frame_gap_ms": max(gaps, default=None),
        "frame_gap_per_call_ms": gaps,
        **usage,
        "errors": errors,
        "turn_rows": turns,
    }


def place_calls(calls: list[ScriptedCall], uri: str, stagger_s: float) -> list[str]:
    """Run the calls at once (the k-th after k * stagger_s), each on its own thread; the failures,
    one line each (the other calls go on)."""
    errors: list[str] = []

    def place(k: int, call: ScriptedCall) -> None:
        time.sleep(k * stagger_s)
        try:
            call.run(uri)
        except Exception as exc:
            errors.append(f"call {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=place, args=(k, c)) for k, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def machine_facts() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu": model,
        "cpus": os.cpu_count(),
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
    }


if __name__ == "__main__":
    raise SystemExit(main())
