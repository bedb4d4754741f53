"""The conference bridge's clock thread: one Python thread state for its life, and a real-time
priority when the process may have one.

Every call's audio moves on PJSIP's clock thread, every 20 ms, through two Python callbacks per call
(`BridgePort`). PJSIP made that thread, so Python knows it only while a callback runs: SWIG's
`PyGILState_Ensure` made a new thread state for every callback and deleted it after, and each
new state maps a fresh frame stack (a 16 KB mmap, and a munmap when it goes). With four calls that
was ~400 mmap/munmap pairs a second on the clock thread; each takes the process's memory-map lock,
which other threads hold while they map or free large buffers, and `perf trace` caught one mmap
waiting 13 ms. One `PyGILState_Ensure` of ours that is never released keeps the first state (the GIL
is still given up after every callback, by SWIG's own release).

Priority: at normal priority the clock thread waits for a core behind every other runnable thread,
so a busy machine shows as frame gaps (bench/voice/frame_gaps). SCHED_RR at a low real-time priority
lets it run as soon as it wakes; its work is a fraction of a millisecond per call and tick, so it
cannot starve the machine (and Linux keeps 5 % of each second for other threads whatever real-time
threads do). Allowed to root and to a process whose RLIMIT_RTPRIO reaches the priority (systemd:
`LimitRTPRIO=`, as in packaging/systemd/earpiece-agent.service); otherwise the thread stays as it
was, and the log says so once. There is one clock thread per PJSIP endpoint, one endpoint per process
at a time: this state is process-wide too, and a later endpoint's new clock thread is handled anew.
"""

from __future__ import annotations

import ctypes
import logging
import os
import threading

log = logging.getLogger(__name__)

_gil_state_ensure = ctypes.pythonapi.PyGILState_Ensure
_gil_state_ensure.argtypes = []
_gil_state_ensure.restype = ctypes.c_int


class ClockThread:
    def __init__(self) -> None:
        self.priority = 0  # SCHED_RR priority asked for; 0 = leave the thread alone
        self.thread_id: int | None = None  # the clock thread's native id, once a bridge callback ran
        self.realtime = False  # whether the thread got it
        self._seen = threading.local()  # set in the clock thread's kept thread state

    def configure(self, priority: int) -> None:
        """Set by the engine at start, before any call's audio flows."""
        self.priority = priority

    def on_clock_thread(self) -> None:
        """Called by every bridge callback; acts on a clock thread's first only (a new endpoint's
        clock thread is a new thread: acted on again)."""
        if getattr(self._seen, "thread", False):
            return
        _gil_state_ensure()  # never released: this thread state outlives the callback
        self._seen.thread = True
        self.thread_id = threading.get_native_id()
        self.realtime = False
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


CLOCK = ClockThread()
