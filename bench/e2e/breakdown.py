"""Where the time between the agent's hand-off and the caller's dump goes, turn by turn, on one call.

    sudo .venv/bin/python -m bench.e2e.breakdown [--questions 6] [--gap 8]

The same agent, caller and questions as `bench.e2e`, with every RTP packet on `lo` timed
(`rtp_trace`, needs root). Per turn, on the one monotonic clock all processes share:

- VAD tail: the agent's VAD (default settings, replayed here on what the caller sent) hears speech
  for this long after the benchmark's last frame above -42 dBFS; the agent's end of speech is its
  VAD's last voiced frame;
- receive: that frame's packet leaves the caller -> the agent's end of speech (the frame's
  `captured_at` at the agent's bridge port: its jitter buffer, decoding, the conference bridge);
- agent v2v: the agent's own figure (end of speech -> first reply audio written to the call's sink);
- send: that hand-off -> the first reply packet with sound arrives at the caller (the sink waiting
  for the clock, the bridge, encoding, RTP);
- quiet start: that packet -> the first packet above the benchmark's -42 dBFS speech threshold;
- wire v2v: the sum (the caller's last voiced packet -> first speech packet at the caller);
- dump v2v: what `bench.e2e` reads from the dumps, and its error against the wire.

Prints a table and writes bench/results/e2e-breakdown.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from bench.e2e.calls import caller_scripts, caller_speech, match_turns
from bench.e2e.machine import RunClock
from bench.e2e.rtp_trace import RtpTrace, pid_started_with, udp_ports
from bench.e2e.wire import check_streams, wire_turns
from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import float_to_pcm16
from earpiece.core.audio.vad import frame_voice_activity
from earpiece.core.settings import Settings
from tests.e2e.harness import FRAME, AgentProcess, HeardTurn, ScriptedCall, analyse
from tests.peers.kamailio import Kamailio

RESULTS = Path(__file__).resolve().parents[1] / "results"
COLUMNS = ("vad_tail_ms", "receive_ms", "agent_v2v_ms", "send_ms", "quiet_start_ms", "wire_v2v_ms",
           "dump_v2v_ms", "dump_minus_wire_ms")


def vad_last_voiced(sent: np.ndarray, turns: list[HeardTurn], window_frames: int = 40) -> list[int]:
    """Per turn, the last frame the agent's VAD (default settings) calls speech, searched from the
    benchmark's last voiced frame up to `window_frames` on."""
    settings = Settings()
    vad = frame_voice_activity(settings.turns, settings.vad.aggressiveness)
    pcm = float_to_pcm16(sent)
    out = []
    for turn in turns:
        last = round(turn.end_of_speech_s * 50) - 1
        voiced = [k for k in range(last, last + window_frames)
                  if vad.is_speech(AudioFrame(pcm[k * FRAME * 2:(k + 1) * FRAME * 2], 0.0))]
        out.append(max(voiced, default=last))
    return out


def measure_call(agent: AgentProcess, registrar: Kamailio, folder: Path, questions: list[str],
                 speeches: list[bytes], gap_s: float) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    known = len(agent.records())
    orders, scripts = caller_scripts(speeches, 1, gap_s)
    with ScriptedCall(registrar, scripts[0], "breakdown", folder) as call, RtpTrace() as trace:
        call.dial(agent.uri)
        ports = udp_ports(pid_started_with(str(call.peer.dir)))
        call.wait_script()
        call.hang_up()
        enc, dec = call.sent(), call.heard()
    sent, heard = trace.flows(ports)
    check = check_streams(sent, heard, enc, dec)
    record = agent.wait_records(known + 1, timeout=30)[known]
    assert call.established_at is not None
    heard_turns = analyse(enc, dec, call.script)
    matched = match_turns(0, heard_turns, [questions[i] for i in orders[0]], call.established_at, record)
    rows = []
    wires = wire_turns(heard_turns, sent, heard, dec)
    vad_last = vad_last_voiced(enc, heard_turns)
    for turn, wire, row, last in zip(heard_turns, wires, matched, vad_last, strict=True):
        agent_end = row["agent_end_of_speech_at"]
        v2v = row["agent_v2v_ms"]
        handoff = None if agent_end is None or v2v is None else agent_end + v2v / 1000
        rows.append({
            "question": row["question"],
            "vad_tail_ms": round((last + 1) * 20 - turn.end_of_speech_s * 1000, 1),
            "receive_ms": None if agent_end is None else round((agent_end - sent[last].at) * 1000, 1),
            "agent_v2v_ms": row["agent_v2v_ms"],
            "send_ms": None if handoff is None or wire.first_sound_at is None
            else round((wire.first_sound_at - handoff) * 1000, 1),
            "quiet_start_ms": None if wire.onset_at is None or wire.first_sound_at is None
            else round((wire.onset_at - wire.first_sound_at) * 1000, 1),
            "wire_v2v_ms": wire.wire_v2v_ms,
            "dump_v2v_ms": turn.voice_to_voice_ms,
            "dump_minus_wire_ms": wire.dump_minus_wire_ms,
        })
    streams = {"ok": check.ok, **{k: getattr(check, k) for k in check.__slots__}}
    return rows, streams


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.e2e.breakdown", description=__doc__)
    parser.add_argument("--questions", type=int, default=6)
    parser.add_argument("--gap", type=float, default=8.0, help="seconds of silence after each question")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if not RtpTrace.available():
        raise SystemExit("bench.e2e.breakdown needs root (an AF_PACKET socket on lo)")
    clock = RunClock()
    questions, speeches = caller_speech(args.questions)
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-breakdown-") as tmp, \
            Kamailio(users={"agent": "agent-pw"}) as registrar, \
            AgentProcess(registrar, "agent", "agent-pw", Path(tmp) / "agent", max_calls=1) as agent:
        rows, streams = measure_call(agent, registrar, Path(tmp) / "call", questions, speeches, args.gap)
    medians = {key: statistics.median(v) if (v := [r[key] for r in rows if r[key] is not None]) else None
               for key in COLUMNS}
    print(f"streams: {streams}")
    print("| " + " | ".join(("question", *COLUMNS)) + " |")
    for row in [*rows, {"question": "median", **medians}]:
        print("| " + " | ".join(str(row[k]) for k in ("question", *COLUMNS)) + " |")
    report = {**clock.header("e2e-breakdown"), "streams": streams, "turns": rows,
              "medians_ms": medians}
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "e2e-breakdown.json").write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
