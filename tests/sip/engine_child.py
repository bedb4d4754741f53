"""A `SipEngine` in a child process, so that an attack which aborts PJSIP fails a test instead of
killing pytest. The child registers one auto-answering account and prints every event as a JSON
line; it stops when its stdin closes.

    with EngineChild(registrar, "alice", "pw", folder, allow_direct_calls=True) as phone:
        phone.address                      # its SIP UDP address
        phone.wait("IncomingCallRejected", code=403)
        phone.alive()
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import subprocess
import sys
import threading
import time
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.peers.kamailio import Kamailio
from tests.peers.process import LOOPBACK, wait_for

ROOT = Path(__file__).resolve().parents[2]


class EngineChild:
    def __init__(
        self,
        registrar: Kamailio,
        user: str,
        password: str,
        folder: Path,
        *,
        allow_direct_calls: bool = False,
        admission: dict[str, float] | None = None,
        tcp: bool = False,
        tls: bool = False,
    ) -> None:
        """`admission`: fields of `AdmissionLimits` to change; `tcp`, `tls`: listen on TCP, TLS too."""
        folder.mkdir(parents=True, exist_ok=True)
        self.stderr_path = folder / "engine-child.log"
        self.argv = [
            sys.executable, "-m", "tests.sip.engine_child",
            "--domain", f"{registrar.domain}:{registrar.port}", "--user", user, "--password", password,
            "--history", str(folder / "history.jsonl"),
            "--admission", json.dumps(admission or {}),
            *(["--allow-direct-calls"] if allow_direct_calls else []),
            *(["--tcp"] if tcp else []),
            *(["--tls"] if tls else []),
        ]
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.proc: subprocess.Popen[str] | None = None
        self.address: tuple[str, int] = (LOOPBACK, 0)
        self.tcp_address: tuple[str, int] = (LOOPBACK, 0)  # with `tcp`
        self.tls_address: tuple[str, int] = (LOOPBACK, 0)  # with `tls`

    def start(self, timeout: float = 20.0) -> None:
        with self.stderr_path.open("w") as err:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, text=True, cwd=ROOT
            )
        threading.Thread(target=self._read, name="engine-child-reader", daemon=True).start()
        if not wait_for(lambda: self.find("registered") is not None or not self.alive(), timeout, 0.05):
            raise RuntimeError(f"the engine child did not register:\n{self.log_tail()}")
        ready = self.find("registered")
        if ready is None:
            raise RuntimeError(f"the engine child ended:\n{self.log_tail()}")
        self.address = (LOOPBACK, int(ready["port"]))
        self.tcp_address = (LOOPBACK, int(ready["tcp_port"]))
        self.tls_address = (LOOPBACK, int(ready["tls_port"]))

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for line in self.proc.stdout:
            if not line.startswith("{"):  # PJSIP prints a few lines before its log writer is set
                continue
            with self._lock:
                self.events.append(json.loads(line))

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def exit_status(self) -> str:
        code = self.proc.poll() if self.proc is not None else None
        return "running" if code is None else f"exit code {code}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.stderr_path.read_text(errors="replace")[-chars:]

    def of(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        with self._lock:
            matching = (e for e in self.events if e["type"] == kind)
            return [e for e in matching if all(e.get(k) == v for k, v in fields.items())]

    def find(self, kind: str, **fields: Any) -> dict[str, Any] | None:
        found = self.of(kind, **fields)
        return found[0] if found else None

    def wait(self, kind: str, timeout: float = 10.0, **fields: Any) -> dict[str, Any]:
        if not wait_for(lambda: self.find(kind, **fields) is not None, timeout, 0.05):
            raise AssertionError(f"no {kind} {fields} within {timeout} s ({self.exit_status()}):\n"
                                 f"{self.events[-10:]}\n{self.log_tail()}")
        found = self.find(kind, **fields)
        assert found is not None
        return found

    def stop(self, timeout: float = 15.0) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None and self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> EngineChild:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


# -- the child ---------------------------------------------------------------------------------------
def _as_json(value: object) -> object:
    return value.value if isinstance(value, Enum) else value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--domain", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--history", type=Path, required=True)
    parser.add_argument("--allow-direct-calls", action="store_true")
    parser.add_argument("--admission", default="{}", help="AdmissionLimits fields as JSON")
    parser.add_argument("--tcp", action="store_true", help="a TCP transport on a free port too")
    parser.add_argument("--tls", action="store_true", help="a TLS transport on a free port too")
    args = parser.parse_args()

    from earpiece.core.settings import AccountSettings, Transport
    from earpiece.sip.admission import AdmissionLimits
    from earpiece.sip.config import EngineConfig
    from earpiece.sip.engine import SipEngine
    from earpiece.sip.events import RegistrationChanged, RegistrationState, SipEvent
    from earpiece.sip.records import CallHistory

    out_lock = threading.Lock()
    port = tcp_port = tls_port = 0

    def emit(event: SipEvent) -> None:
        fields = {k: _as_json(v) for k, v in dataclasses.asdict(event).items()}
        if isinstance(event, RegistrationChanged) and event.state is RegistrationState.REGISTERED:
            fields = {"type": "registered", "port": port, "tcp_port": tcp_port, "tls_port": tls_port}
            line = json.dumps(fields)
        else:
            line = json.dumps({"type": type(event).__name__, **fields})
        with out_lock:
            print(line, flush=True)

    config = EngineConfig(bind_address=LOOPBACK, udp_port=0, tcp_port=0 if args.tcp else None,
                          tls_port=0 if args.tls else None,
                          reg_expires_s=60, input_device="none", output_device="none",
                          admission=AdmissionLimits(**json.loads(args.admission)))
    engine = SipEngine(config, history=CallHistory(args.history))
    engine.start()
    port = engine.local_address()[1]
    tcp_port = engine.local_address(Transport.TCP)[1] if args.tcp else 0
    tls_port = engine.local_address(Transport.TLS)[1] if args.tls else 0
    engine.subscribe(emit)
    account = AccountSettings(id=args.user, username=args.user, domain=args.domain, auto_answer_s=0,
                              allow_direct_calls=args.allow_direct_calls)
    engine.add_account(account, args.password).result(5)
    sys.stdin.read()  # until the parent closes it
    engine.stop()
    time.sleep(0.1)


if __name__ == "__main__":
    main()
