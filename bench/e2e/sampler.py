"""CPU and memory of one process (and how busy the whole machine was) over a stretch of time, from /proc."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def _process_cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def _machine_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return sum(values) - idle, sum(values)


class ProcessSampler:
    def __init__(self, pid: int, interval_s: float = 0.25) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sampler", daemon=True)
        self.peak_rss_kb = 0

    def start(self) -> None:
        self._t0 = time.monotonic()
        self._cpu0 = _process_cpu_s(self.pid)
        self._machine0 = _machine_ticks()
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.peak_rss_kb = max(self.peak_rss_kb, _status_kb(self.pid, "VmRSS"))
            except OSError:
                return

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        wall = time.monotonic() - self._t0
        cpu = _process_cpu_s(self.pid) - self._cpu0
        busy1, total1 = _machine_ticks()
        busy = (busy1 - self._machine0[0]) / max(1, total1 - self._machine0[1])
        return {
            "wall_s": round(wall, 1),
            "agent_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
            "agent_peak_rss_mb": round(self.peak_rss_kb / 1024, 1),
            "agent_lifetime_peak_rss_mb": round(_status_kb(self.pid, "VmHWM") / 1024, 1),
            "machine_busy_percent": round(100 * busy, 1),  # every process, all cores
            "load_average_1min": round(os.getloadavg()[0], 2),
        }
