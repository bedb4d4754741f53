"""The conference bridge's clock thread at a real-time priority, when the process may have one.

Every call's audio moves on PJSIP's clock thread, every 20 ms. At normal priority it waits for a
core behind every other runnable thread, so a busy machine shows as frame gaps
(bench/voice/frame_gaps). SCHED_RR at a low real-time priority lets it run as soon as it wakes; its
work is a fraction of a millisecond per call and tick, so it cannot starve the machine (and Linux
keeps 5 % of each second for other threads whatever real-time threads do). Allowed to root and to a
process whose RLIMIT_RTPRIO reaches the priority (systemd: `LimitRTPRIO=`, as in
packaging/systemd/earpiece-agent.service); otherwise the thread stays as it was, and the log says so
once. There is one clock thread per process (one PJSIP endpoint), so this state is process-wide too.
"""

from __future__ import annotations

import logging
import os
import threading

log = logging.getLogger(__name__)


class ClockPriority:
    def __init__(self) -> None:
        self.priority = 0  # SCHED_RR priority asked for; 0 = leave the thread alone
        self.thread_id: int | None = None  # the clock thread's native id, once a bridge callback ran
        self.realtime = False  # whether the thread got it

    def configure(self, priority: int) -> None:
        """Set by the engine at start, before any call's audio flows."""
        self.priority = priority

    def on_clock_thread(self) -> None:
        """Called by every bridge callback; acts on the first only (a few nanoseconds afterwards)."""
        if self.thread_id is not None:
            return
        self.thread_id = threading.get_native_id()
        if self.priority <= 0:
            return
        try:
            os.sched_setscheduler(self.thread_id, os.SCHED_RR, os.sched_param(self.priority))
        except (OSError, AttributeError) as error:  # no right to it; no such call off Linux
            log.info("the audio clock thread keeps its normal priority (real-time priority %d refused: %s); "
                     "grant it with LimitRTPRIO=%d in the service", self.priority, error, self.priority)
        else:
            self.realtime = True
            log.info("the audio clock thread runs at real-time priority %d (SCHED_RR)", self.priority)


CLOCK = ClockPriority()
