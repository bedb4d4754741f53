"""Heavy TCP connection floods against a SIP engine in a child process (tests/sip/engine_child.py),
longer and wider than the test's four seconds with eight clients: does it survive, how often does the
connection breaker pause the listener, how many connections got in, and is a real call (baresip through
Kamailio) answered right after each flood?

    python -m bench.sip.flood [--seconds 30] [--clients 8 32 64]

Writes bench/results/sip-flood.json and .md. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from tests.peers.kamailio import Kamailio
from tests.sip.conftest import USERS
from tests.sip.engine_child import EngineChild
from tests.sip.flood import flood_connections
from tests.sip.test_flood import assert_answers_a_real_call

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results"


@dataclass
class FloodRun:
    clients: int
    seconds: float
    connected: int
    failed: int
    connections_per_s: float
    pauses: int
    refused_by_cap_or_pause: int
    survived: bool
    real_call_answered: bool
    exit_status: str


def one_flood(registrar: Kamailio, clients: int, seconds: float, folder: Path) -> FloodRun:
    with EngineChild(registrar, "alice", USERS["alice"], folder, tcp=True) as phone:
        flood = flood_connections(phone.tcp_address, seconds, clients=clients, stop=lambda: not phone.alive())
        time.sleep(1.0)
        survived = phone.alive()
        try:
            assert_answers_a_real_call(phone, registrar)
            answered = True
        except AssertionError:
            answered = False
        log = phone.log_tail(50_000_000)
        return FloodRun(
            clients=clients, seconds=round(flood.seconds, 1), connected=flood.connected, failed=flood.failed,
            connections_per_s=round(flood.connected / flood.seconds, 1),
            pauses=log.count("SIP connections paused"),
            refused_by_cap_or_pause=log.count("SIP connection refused"),
            survived=survived, real_call_answered=answered, exit_status=phone.exit_status(),
        )


def markdown(runs: list[FloodRun], load: float) -> str:
    lines = [
        "# SIP TCP connection flood (bench.sip.flood)",
        "",
        "Engine in a child process, TCP on 127.0.0.1; half the clients send an INVITE and close 30 ms "
        f"later, half connect and close at full speed. Load average at the start: {load:.1f}.",
        "",
        "| clients | seconds | connections made | per s | failed connects | pauses | refused | survived | "
        "real call after |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        lines.append(f"| {r.clients} | {r.seconds} | {r.connected} | {r.connections_per_s} | {r.failed} | "
                     f"{r.pauses} | {r.refused_by_cap_or_pause} | {'yes' if r.survived else 'NO'} | "
                     f"{'yes' if r.real_call_answered else 'NO'} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, nargs="+", default=[8, 32, 64])
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    runs = []
    with Kamailio(users=USERS) as registrar, tempfile.TemporaryDirectory() as tmp:
        for clients in args.clients:
            run = one_flood(registrar, clients, args.seconds, Path(tmp) / f"flood-{clients}")
            print(json.dumps(asdict(run)), flush=True)
            runs.append(run)
    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "sip-flood.json").write_text(json.dumps(
        {"load_average": load, "runs": [asdict(r) for r in runs]}, indent=2))
    (args.output / "sip-flood.md").write_text(markdown(runs, load))
    return 0 if all(r.survived and r.real_call_answered for r in runs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
