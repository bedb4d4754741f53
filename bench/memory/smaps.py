"""RSS, PSS and USS of a process and its descendants, from /proc (Linux), and their peaks over time."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.background import Background


@dataclass(frozen=True, slots=True)
class Memory:
    """One process's memory in MB: resident, proportional (shared pages split), unique (private),
    and the anonymous part of the resident (heap, arenas, copies; the rest is mapped files)."""

    rss: float
    pss: float
    uss: float
    anon: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(v, 1) for k, v in asdict(self).items()}


def memory(pid: int | str = "self") -> Memory:
    """From /proc/<pid>/smaps_rollup (raises OSError once the process is gone)."""
    kb: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, value = line.split(":", 1)
        kb[key] = int(value.split()[0])
    return Memory(
        rss=kb["Rss"] / 1024,
        pss=kb["Pss"] / 1024,
        uss=(kb["Private_Clean"] + kb["Private_Dirty"]) / 1024,
        anon=kb["Anonymous"] / 1024,
    )


def descendants(pid: int) -> list[int]:
    """Every live process started under `pid` (children, their children, ...)."""
    out: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return out
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            out += [child, *descendants(child)]
    return out


def _command(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def role(pid: int) -> str:
    """What a process of the line is, from its command line (a process forked by the fork server
    has the server's command line: it is told apart by its parent)."""
    try:
        cmd = _command(pid)
        forked = "forkserver" in _command(_parent(pid))
    except OSError:
        return "gone"
    if "resource_tracker" in cmd:
        return "resource-tracker"
    if "forkserver" in cmd:
        return "recognition-worker" if forked else "forkserver"
    if "spawn_main" in cmd or "multiprocessing" in cmd:
        return "recognition-worker"
    if " agent" in cmd:
        return "supervisor" if "--supervise" in cmd else "standby agent" if "--standby" in cmd else "agent"
    return cmd.split(" ", 1)[0].rsplit("/", 1)[-1]


def tree(pid: int) -> dict[int, Memory]:
    """`pid` and its descendants' memory (processes that end while being read are left out)."""
    out: dict[int, Memory] = {}
    for p in [pid, *descendants(pid)]:
        try:
            out[p] = memory(p)
        except OSError:
            continue
    return out


def line_totals(processes: dict[int, Memory]) -> dict[str, float]:
    """The whole line: PSS and USS add up (each page once); the RSS sum counts shared pages again
    in every process that maps them."""
    return {
        "pss": round(sum(m.pss for m in processes.values()), 1),
        "uss": round(sum(m.uss for m in processes.values()), 1),
        "rss_sum": round(sum(m.rss for m in processes.values()), 1),
    }


class PeakSampler(Background):
    """Samples a process tree every `interval_s`; keeps each process's peak and the line's peak PSS.

    Reading smaps_rollup walks the process's page tables (a few ms for the agent), so the interval
    stays coarse."""

    def __init__(self, pid: int, interval_s: float = 0.5) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak: dict[int, Memory] = {}
        self.roles: dict[int, str] = {}
        self.peak_line_pss = 0.0
        super().__init__()

    def run(self, stop: threading.Event) -> None:
        while True:
            self.sample()
            if stop.wait(self.interval_s):
                return

    def sample(self) -> None:
        now = tree(self.pid)
        for pid, mem in now.items():
            self.roles.setdefault(pid, role(pid))
            old = self.peak.get(pid)
            self.peak[pid] = mem if old is None else Memory(
                max(old.rss, mem.rss), max(old.pss, mem.pss), max(old.uss, mem.uss), max(old.anon, mem.anon)
            )
        self.peak_line_pss = max(self.peak_line_pss, sum(m.pss for m in now.values()))
