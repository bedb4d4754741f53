"""The callers' side of the SIP benchmarks (`bench.e2e`, `bench.scale`, `bench.soak`,
`bench.voice.frame_gaps`): the questions and their speech, each call's script, placing the calls
at once, pairing what the caller measured with the agent's record, and a level's summary."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from tests.audio_gen import piper_speech
from tests.e2e.harness import CallerScript, HeardTurn, ScriptedCall

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
STAGE_KEYS = ("endpoint_delay_ms", "stt_ms", "stt_compute_ms", "retrieval_ms", "llm_ttft_ms", "tts_ttfb_ms")
# How the caller's figure exceeds the agent's, when the packets were timed (bench/e2e/wire.py).
SPLIT_KEYS = ("receive_ms", "vad_tail_ms", "send_ms", "quiet_start_ms")
MATCH_WINDOW_S = 2.0  # a caller's end of speech and the agent's, on the shared monotonic clock


def percentile(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(np.asarray(values, dtype=float), q)), 1) if values else None


def caller_speech(count: int) -> tuple[list[str], list[bytes]]:
    """The first `count` questions (at least one, at most all) and the caller's speech for each."""
    questions = list(QUESTIONS[: max(1, min(count, len(QUESTIONS)))])
    print(f"making the caller's speech for {len(questions)} questions (Piper)...", flush=True)
    return questions, [piper_speech(q) for q in questions]


def caller_scripts(
    speeches: list[bytes], calls: int, gap_s: float
) -> tuple[list[list[int]], list[CallerScript]]:
    """Per call, the order it asks the questions in (call k starts with question k) and its script:
    5 s for the greeting, each question followed by `gap_s` of silence, 3 s at the end."""
    orders = [[(k + i) % len(speeches) for i in range(len(speeches))] for k in range(calls)]
    scripts = [CallerScript.build([speeches[i] for i in order], lead_s=5.0, gap_s=gap_s, tail_s=3.0)
               for order in orders]
    return orders, scripts


def place_calls(calls: list[ScriptedCall], uri: str, stagger_s: float,
                on_established: Callable[[int, ScriptedCall], None] | None = None) -> list[str]:
    """Run the calls at once (the k-th after k * stagger_s), each on its own thread; the failures,
    one line each (the other calls go on). `on_established(k, call)` runs once a call is up."""
    errors: list[str] = []

    def place(k: int, call: ScriptedCall) -> None:
        time.sleep(k * stagger_s)
        try:
            call.dial(uri)
            if on_established is not None:
                on_established(k, call)
            call.wait_script()
            call.hang_up()
        except Exception as exc:
            errors.append(f"call {k}: {type(exc).__name__}: {exc}")

    threads = [threading.Thread(target=place, args=(k, c)) for k, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


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
            "agent_end_of_speech_at": mine["end_of_speech_at"] if mine else None,  # monotonic
            "agent_speech_ms": mine.get("speech_ms") if mine else None,  # its first to last voiced frame
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
        "dump_v2v_ms": {"p50": percentile(values("dump_v2v_ms"), 50),
                        "p95": percentile(values("dump_v2v_ms"), 95)},
        "dump_minus_wire_ms_p50": percentile(values("dump_minus_wire_ms"), 50),
        "split_p50_ms": {key: percentile(values(key), 50) for key in SPLIT_KEYS},
        "stages_p50_ms": {key: percentile(values(key), 50) for key in STAGE_KEYS},
        "stages_p95_ms": {key: percentile(values(key), 95) for key in STAGE_KEYS},
        "stt_early_share": round(sum(bool(t["stt_early"]) for t in turns) / len(turns), 2) if turns else None,
        "max_frame_gap_ms": max(gaps, default=None),
        "frame_gap_per_call_ms": gaps,
        **usage,
        "errors": errors,
        "turn_rows": turns,
    }
