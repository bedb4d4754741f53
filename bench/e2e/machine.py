"""Where and when a benchmark ran: the machine's facts and the opening fields of every report
(`bench.e2e`, `bench.scale`, `bench.soak`, `bench.voice.frame_gaps`)."""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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
        "load_average_start": load_average(),
    }


@dataclass(slots=True)
class RunClock:
    """When a benchmark run started and on what machine (taken when it is made)."""

    started: datetime = field(default_factory=datetime.now)
    machine: dict[str, Any] = field(default_factory=machine_facts)

    def header(self, benchmark: str) -> dict[str, Any]:
        """The report's opening fields at the end of the run, with the load average then."""
        self.machine["load_average_end"] = load_average()
        return {
            "benchmark": benchmark,
            "started_at": self.started.isoformat(timespec="seconds"),
            "duration_s": round((datetime.now() - self.started).total_seconds(), 1),
            "machine": self.machine,
        }
