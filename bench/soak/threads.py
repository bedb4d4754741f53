"""Which of the agent's threads the soak's leak check counts, by name (the probe lists them).

A thread count alone cannot tell a leak from threads that legitimately come and go. The third
session's 60-call soak read 17 -> 16 -> 17 OS threads (start, call 12, end), and its Python threads
went 8 -> 9 at call 13 and stayed. Named (two smoke soaks of 6 and 8 calls, this session), both
moves are expected: PJSIP's `clock` thread is there after start-up and gone after the first calls,
and the new Python thread is `asyncio_3`. The asyncio default executor (every `asyncio.to_thread` of
the agent: Piper, the answer selector, the retriever, malloc_trim) starts a worker only when all are
busy and keeps idle ones, up to its bound, so it grows in steps while calls overlap and then stays.
That is no leak; a pool past its bound, or any other name that is new at the end, is.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

_CPUS = os.cpu_count() or 1

# Pools that start workers on demand and keep them idle, up to a bound (the agent runs on this machine).
POOL_BOUNDS: dict[str, int] = {
    "asyncio_": min(32, _CPUS + 4),  # asyncio's default executor (ThreadPoolExecutor's default size)
    "embed_": min(_CPUS, 4),  # core/knowledge/embedding.py
    "ingest_": 1,  # core/knowledge/store.py
}

# Threads that exist only while something is going on; the report shows them, the check skips them.
TRANSIENT: dict[str, str] = {
    "summary-": "one per call, storing the call's summary after its record "
    "(core/analytics/stored_summary.py); ends when the summary is stored",
    "read_": "a document read during ingestion (core/knowledge/store.py, a `with` pool)",
    "clock": "PJSIP's null sound device clock: runs while the device is open, and pjsua closes an idle "
    "device (it is there after start-up, gone once the first calls ended)",
}


def family(name: str) -> str:
    """A pool's threads count as one family (`asyncio_`); any other thread is its own."""
    return next((prefix for prefix in POOL_BOUNDS if name.startswith(prefix)), name)


def transient(name: str) -> bool:
    return any(name == key or (key[-1] in "-_" and name.startswith(key)) for key in TRANSIENT)


@dataclass(frozen=True, slots=True)
class ThreadCheck:
    grew: dict[str, int] = field(default_factory=dict)  # family -> threads more at the end
    leaked: dict[str, int] = field(default_factory=dict)  # of those, growth that is not a pool in bounds
    transient_at_end: list[str] = field(default_factory=list)  # present at the end, not counted

    @property
    def ok(self) -> bool:
        return not self.leaked


def check(before: list[str], after: list[str]) -> ThreadCheck:
    """Compare the thread names of two idle snapshots (`before` = after the baseline call)."""
    counted_before = Counter(family(n) for n in before if not transient(n))
    counted_after = Counter(family(n) for n in after if not transient(n))
    grew = {f: n - counted_before[f] for f, n in sorted(counted_after.items()) if n > counted_before[f]}
    leaked = {f: n for f, n in grew.items() if not (f in POOL_BOUNDS and counted_after[f] <= POOL_BOUNDS[f])}
    return ThreadCheck(grew, leaked, sorted(n for n in after if transient(n)))
