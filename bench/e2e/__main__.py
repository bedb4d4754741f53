"""Run the end-to-end benchmark (see the package docstring)."""

from __future__ import annotations

import argparse
import contextlib
import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.e2e.calls import (
    QUESTIONS,
    caller_scripts,
    caller_speech,
    match_turns,
    place_calls,
    summarise,
)
from bench.e2e.machine import RunClock
from bench.e2e.report import GOALS, write_chart, write_markdown
from bench.e2e.rtp_trace import RtpTrace, pid_started_with, udp_ports
from bench.e2e.sampler import ProcessSampler
from bench.e2e.wire import caller_figures_from_the_wire
from earpiece.core.settings import SttSettings, VadSettings
from tests.e2e.harness import SPEECH_DBFS, AgentProcess, ScriptedCall, analyse
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server
from tests.peers.kamailio import Kamailio

RESULTS = Path(__file__).resolve().parents[1] / "results"
DUMPS = (f"the caller's last 20 ms frame above {SPEECH_DBFS:g} dBFS in what it sent (-enc dump) -> its first "
         f"frame above {SPEECH_DBFS:g} dBFS in what it heard (-dec dump). baresip dumps one frame per RTP "
         "packet, in packet order, so its jitter buffer and playout are not included")
VOICE_TO_VOICE = (
    f"on the wire: {DUMPS}; each of those two frames is timed by its RTP packet on the loopback "
    "interface (bench/e2e/rtp_trace.py): the caller's last voiced packet sent -> the first reply packet "
    "above the threshold received. The dumps' own figure (positions in the two dumps) is kept as "
    "dump_v2v_ms: it is off by the offset between the two streams' first packets (see below). The agent "
    "figure (first reply audio handed to the call) starts at the agent's own end of speech"
)
DUMPS_ONLY = (
    f"from the dumps (no packet times: no root, or --no-wire): {DUMPS}; both dumps counted from their "
    "first frame. "
    "This is off by the offset between the two streams' first packets, unmeasured here (runs as root on "
    "2026-12-02 found the dumps reading 5-30 ms low)"
)
CLOUD_REPLY = "Standard delivery costs four pounds ninety five. It is free on orders over fifty pounds."


@dataclass(slots=True)
class Profile:
    name: str
    description: str
    levels: list[int]
    env: dict[str, str] = field(default_factory=dict)


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
                        help="also run one call with this end-of-turn silence "
                        f"(vad.end_of_turn_ms, default {VadSettings().end_of_turn_ms})")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--no-wire", action="store_true",
                        help="no RTP sniffer in this process (its thread shares the 2 cores with the agent "
                             "and shows in the agent's frame gaps): the caller is timed from the dumps only")
    args = parser.parse_args()

    questions, speeches = caller_speech(args.questions)
    offline = f"offline stack ({SttSettings().model}, MiniLM + Chroma, offline responder, Piper)"
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

    clock = RunClock()
    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="earpiece-bench-e2e-") as tmp, \
            Kamailio(users={"agent": "agent-pw"}) as registrar:
        for profile in profiles:
            results += run_profile(profile, registrar, Path(tmp) / profile.name, questions, speeches, args)
    report = {
        **clock.header("e2e"),
        "method": {
            "questions": questions,
            "gap_after_question_s": args.gap,
            "stagger_s": args.stagger,
            "caller": "baresip 1.0 (aufile source = Piper speech WAV, sndfile dumps), G.722 via Kamailio",
            "voice_to_voice_at_caller": VOICE_TO_VOICE if _wire(args) else DUMPS_ONLY,
        },
        "goals": GOALS,
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


def _wire(args: argparse.Namespace) -> bool:
    return not args.no_wire and RtpTrace.available()


def run_level(agent: AgentProcess, registrar: Kamailio, folder: Path, questions: list[str],
              speeches: list[bytes], level: int, args: argparse.Namespace) -> dict[str, Any]:
    known = len(agent.records())
    orders, scripts = caller_scripts(speeches, level, args.gap)
    with contextlib.ExitStack() as stack:
        calls = [stack.enter_context(ScriptedCall(registrar, script, f"l{level}c{k}", folder / f"call{k}"))
                 for k, script in enumerate(scripts)]
        trace = stack.enter_context(RtpTrace()) if _wire(args) else None
        ports: dict[int, set[int]] = {}

        def note_ports(k: int, call: ScriptedCall) -> None:
            ports[k] = udp_ports(pid_started_with(str(call.peer.dir)))

        sampler = ProcessSampler(agent.pid)
        sampler.start()
        errors = place_calls(calls, agent.uri, args.stagger, note_ports if trace else None)
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
            sent, heard = call.sent(), call.heard()
            heard_turns = analyse(sent, heard, call.script)
            asked = [questions[i] for i in orders[k]]
            matched = match_turns(k, heard_turns, asked, call.established_at, record)
            if trace is not None and k in ports:
                sent_packets, heard_packets = trace.flows(ports[k])
                problem = caller_figures_from_the_wire(matched, heard_turns, call.script, sent_packets,
                                                       heard_packets, sent, heard)
                if problem:
                    errors.append(f"call {k}: {problem}")
            if any(row["agent_v2v_ms"] is None for row in matched):
                said = [f"{e['t']:.1f}s {e['speaker']}: {e['text']}" for e in record["transcript"]]
                errors.append(f"call {k}: a question without an agent turn; the agent's transcript: {said}; "
                              f"events: {record['events']}")
            turns += matched
    result = summarise(level, turns, gaps, usage, errors)
    result["frame_gaps_by_phase"] = phases
    return result


if __name__ == "__main__":
    raise SystemExit(main())
