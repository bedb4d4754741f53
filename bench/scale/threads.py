"""Where an agent's CPU goes, by thread, from /proc/<pid>/task/*/{comm,stat}.

The groups follow what each thread runs in `earpiece agent`:

- audio clock: PJSIP's conference clock thread ("clock"); it runs the per-frame callbacks of
  sip/bridge_port.py (20 ms frames, both directions, every call);
- PJSIP media and events: its media ioqueue ("media") and event ("ev_thread") threads (RTP, codecs);
- SIP thread: sip/loop.py ("earpiece-sip"): signalling, timers, the 10 ms event poll;
- asyncio loop: the main thread: every call's session (frame handling, VAD, turn logic);
- models and workers: every other thread: speech recognition, speech synthesis, embeddings and the
  worker threads that call them.
"""

from __future__ import annotations

import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = ("audio clock", "PJSIP media and events", "SIP thread", "asyncio loop", "models and workers")
_BY_NAME = {"clock": GROUPS[0], "media": GROUPS[1], "ev_thread": GROUPS[1], "earpiece-sip": GROUPS[2]}


def _group(pid: int, tid: int, comm: str) -> str:
    if tid == pid:
        return GROUPS[3]
    return _BY_NAME.get(comm, GROUPS[4])


def thread_cpu_s(pid: int) -> dict[int, tuple[str, float]]:
    """CPU seconds (user + system) so far of each thread of `pid`, with its group."""
    out: dict[int, tuple[str, float]] = {}
    for entry in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (entry / "comm").read_text().strip()
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the thread ended meanwhile
            continue
        tid = int(entry.name)
        out[tid] = (_group(pid, tid, comm), (int(fields[11]) + int(fields[12])) / TICKS)
    return out


def cpu_by_group(before: dict[int, tuple[str, float]], after: dict[int, tuple[str, float]],
                 spent: dict[str, float]) -> None:
    """Add to `spent` the CPU seconds per group between two `thread_cpu_s` readings (threads that
    ended between them are not counted)."""
    for tid, (group, seconds) in after.items():
        spent[group] = spent.get(group, 0.0) + seconds - before.get(tid, (group, 0.0))[1]
