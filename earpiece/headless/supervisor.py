"""`earpiece agent --supervise`: run the agent as a child process and replace it when it dies.

A crash then costs only the calls in flight: their records are written from the agent's in-flight
journal (`lost_in_crash`), and the line answers again. A cold start takes 4-10 s on a 2-core
machine (imports, knowledge base, models), so by default a second agent waits as a warm spare
(`--standby`: voice and knowledge loaded, no SIP): on a crash it is told "go" on its stdin, binds
the same port, registers and answers, and a new spare starts loading. The supervisor imports
neither pjsua2 nor the models, so nothing that can abort PJSIP runs in it.

- SIGTERM / SIGINT are passed on to both agents (the polite shutdown); the supervisor then exits
  with the active agent's exit code.
- An agent that exits 0 (it was stopped) or 2 (usage error: restarting cannot help) is not
  replaced. Any other end (a signal such as SIGABRT or SIGKILL, exit 1) is, at once; an agent
  that keeps dying within `stable_after_s` of its start waits 1 s, 2 s, 4 s ... (at most
  `max_delay_s`) before the second and later restarts. The same holds for the spare.
- Both agents get PR_SET_PDEATHSIG, so they do not outlive a supervisor that is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from earpiece.core.calls.journal import recover_lost_calls

EXIT_USAGE = 2
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


@dataclass(slots=True)
class _Agent:
    proc: subprocess.Popen[bytes]  # reaped by `Supervisor._wait_any` only (never `poll()`: it would reap)
    started: float
    standby: bool

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None


class _Backoff:
    """No wait for the first restart; 1, 2, 4 ... s for each further one within `stable_after_s`."""

    def __init__(self, stable_after_s: float, max_delay_s: float) -> None:
        self.stable_after_s, self.max_delay_s = stable_after_s, max_delay_s
        self.quick = 0

    def after(self, ran_s: float) -> float:
        self.quick = 0 if ran_s >= self.stable_after_s else self.quick + 1
        return min(2.0 ** (self.quick - 2), self.max_delay_s) if self.quick > 1 else 0.0


class Supervisor:
    def __init__(
        self,
        argv: Sequence[str],
        calls_dir: Path,
        *,
        standby: bool = True,
        announce: Callable[[str], None] = print,
        stable_after_s: float = 30.0,
        max_delay_s: float = 30.0,
    ) -> None:
        self.argv = list(argv)
        self.calls_dir = calls_dir
        self.use_standby = standby
        self._announce = announce
        self._active_backoff = _Backoff(stable_after_s, max_delay_s)
        self._spare_backoff = _Backoff(stable_after_s, max_delay_s)
        self._active: _Agent | None = None
        self._spare: _Agent | None = None
        self._spare_due = 0.0  # monotonic time at which a missing spare is started
        self._stopping = threading.Event()

    def run(self) -> int:
        """Until the agent is stopped; returns its exit code (128 + signal for a signal)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self._active = self._spawn(standby=False)
            return self._loop()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for agent in (self._active, self._spare):
                if agent is not None and agent.alive:
                    agent.proc.terminate()
                    agent.proc.wait()

    def _loop(self) -> int:
        while True:
            missing_spare = self.use_standby and self._spare is None and not self._stopping.is_set()
            if missing_spare and time.monotonic() >= self._spare_due:
                self._spare = self._spawn(standby=True)
            pid, status = self._wait_any(0.2 if self._spare is None and self.use_standby else None)
            if pid == 0:
                continue
            code = os.waitstatus_to_exitcode(status)
            active, spare = self._active, self._spare
            if spare is not None and pid == spare.proc.pid:
                spare.proc.returncode = code
                self._spare = None
                if not self._stopping.is_set():
                    delay = self._spare_backoff.after(time.monotonic() - spare.started)
                    self._spare_due = time.monotonic() + delay
                    self._announce(f"earpiece supervisor: spare agent {describe_exit(code)}; a new one "
                                   f"starts{f' in {delay:g} s' if delay else ''}")
                continue
            if active is None or pid != active.proc.pid:
                continue
            active.proc.returncode = code
            if self._stopping.is_set() or code in (0, EXIT_USAGE):
                self._announce(f"earpiece supervisor: agent ended ({describe_exit(code)}); not restarting")
                return code if code >= 0 else 128 - code
            lost = recover_lost_calls(self.calls_dir, f"the agent process was {describe_exit(code)}")
            delay = self._active_backoff.after(time.monotonic() - active.started)
            self._announce(f"earpiece supervisor: agent pid {active.proc.pid} {describe_exit(code)}; "
                           f"{len(lost)} call(s) in progress lost")
            if self._stopping.wait(delay):
                return code if code >= 0 else 128 - code
            self._active = self._take_over()

    def _take_over(self) -> _Agent:
        """The spare becomes the agent ("go" on its stdin); without one, a cold start."""
        spare, self._spare = self._spare, None
        if spare is not None and spare.alive and spare.proc.stdin is not None:
            try:
                spare.proc.stdin.write(b"go\n")
                spare.proc.stdin.close()
            except OSError:
                pass
            else:
                self._announce(f"earpiece supervisor: spare agent pid {spare.proc.pid} takes over")
                spare.standby = False
                return spare
        return self._spawn(standby=False)

    def _spawn(self, *, standby: bool) -> _Agent:
        argv = [*self.argv, "--standby"] if standby else self.argv
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE if standby else subprocess.DEVNULL,
            preexec_fn=_die_with_parent,
            start_new_session=True,  # a terminal's Ctrl+C reaches the supervisor only; it passes it on
        )
        role = "spare agent" if standby else "agent"
        self._announce(f"earpiece supervisor: {role} started (pid {proc.pid})")
        return _Agent(proc, time.monotonic(), standby)

    def _wait_any(self, timeout: float | None) -> tuple[int, int]:
        """(pid, wait status) of a child that ended; (0, 0) when `timeout` passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            pid, status = os.waitpid(-1, os.WNOHANG if deadline is not None else 0)
            if pid or deadline is None or time.monotonic() >= deadline:
                return pid, status
            time.sleep(0.02)

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        self._stopping.set()
        for agent in (self._active, self._spare):
            if agent is not None and agent.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(agent.proc.pid, signum)
