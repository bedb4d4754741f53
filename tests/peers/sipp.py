"""SIPp with the project's own XML scenarios (in `sipp_scenarios/`), run as a bounded UAC.

result = run_sipp("refer_to_number", target=("127.0.0.1", 5060), service="alice")
assert result.ok, result.details

peer = start_sipp("answered_then_silent", target, folder, extra=["-rtp_echo"])   # runs in the background
peer.kill()                                                                     # SIGKILL: no BYE
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.peers.process import LOOPBACK, PeerProcess, free_port

SIPP = "/usr/bin/sipp"
SCENARIOS = Path(__file__).with_name("sipp_scenarios")


@dataclass(frozen=True)
class SippResult:
    returncode: int  # 0: every call went as the scenario says
    output: str
    errors: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def successful_calls(self) -> int:
        """Calls that went as the scenario says (SIPp's final statistics screen)."""
        found = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", self.output)
        return int(found[-1]) if found else 0

    @property
    def details(self) -> str:
        return f"sipp exit {self.returncode}\n{self.errors[-3000:]}\n{self.output[-2000:]}"


def run_sipp(
    scenario: str,
    target: tuple[str, int],
    *,
    service: str = "alice",
    calls: int = 1,
    rate: float = 10.0,
    timeout_s: float = 15.0,
    extra: list[str] | None = None,
) -> SippResult:
    """Run `sipp_scenarios/<scenario>.xml` against `target` for `calls` calls at `rate` calls/s."""
    with tempfile.TemporaryDirectory(prefix="earpiece-sipp-") as folder:
        errors = Path(folder) / "errors.log"
        argv = _argv(scenario, target, errors, service, calls, rate, timeout_s, extra)
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s + 10, cwd=folder)
        text = errors.read_text(errors="replace") if errors.exists() else ""
        return SippResult(proc.returncode, proc.stdout + proc.stderr, text)


def start_sipp(
    scenario: str,
    target: tuple[str, int],
    folder: Path,
    *,
    service: str = "alice",
    timeout_s: float = 60.0,
    extra: list[str] | None = None,
) -> PeerProcess:
    """One call of `scenario` in the background (its output in `folder/sipp.log`); stop or kill it by pid.
    `-mp` gets a free port, so `-rtp_echo` echoes RTP there."""
    folder.mkdir(parents=True, exist_ok=True)
    argv = _argv(scenario, target, folder / "errors.log", service, 1, 1.0, timeout_s,
                 ["-mp", str(free_port()), *(extra or [])])
    return PeerProcess(argv, folder / "sipp.log", cwd=folder)


def _argv(
    scenario: str,
    target: tuple[str, int],
    errors: Path,
    service: str,
    calls: int,
    rate: float,
    timeout_s: float,
    extra: list[str] | None,
) -> list[str]:
    return [
        SIPP,
        f"{target[0]}:{target[1]}",
        "-sf",
        str(SCENARIOS / f"{scenario}.xml"),
        "-i",
        LOOPBACK,
        "-p",
        str(free_port()),
        "-s",
        service,
        "-m",
        str(calls),
        "-r",
        str(rate),
        "-l",
        str(max(calls, 1)),
        "-timeout",
        f"{int(timeout_s)}s",
        "-timeout_error",
        "-nostdin",
        "-trace_err",
        "-error_file",
        str(errors),
        "-max_retrans",
        "2",
        *(extra or []),
    ]
