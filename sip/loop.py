"""The SIP thread: every pjsua2 call of the process runs on it (a pjsua2 call from any other thread can
abort the process). Other threads submit commands and get `concurrent.futures.Future`s back; the thread
runs them, the timers that accounts and calls set, and PJSIP's event polling every 10 ms."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import queue
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from pathlib import Path
from typing import Any, TypeVar

from earpiece.sip.errors import EngineNotRunningError, SipError, detached
from earpiece.sip.guard import guarded

log = logging.getLogger("earpiece.sip.engine")

T = TypeVar("T")
# PJSIP's event pump, `Endpoint.libHandleEvents(max_wait_ms)`.
EventPump = Callable[[int], object]

POLL_INTERVAL_S = 0.01


class SipLoop:
    """One SIP thread: `start(boot, teardown)`, then `submit` commands from any thread; `call_later`,
    `cancel` and `poll_until` on the SIP thread itself (they are what accounts and calls schedule with)."""

    def __init__(self, name: str = "earpiece-sip") -> None:
        self._name = name
        self._queue: queue.SimpleQueue[tuple[Callable[[], Any], Future[Any]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._boot_error: BaseException | None = None
        self._stop_requested = False
        self._running = False
        # Held while a command is queued and while the loop stops taking them: a command is either
        # refused or queued before the loop's last look at the queue, never queued after it.
        self._accepting = threading.Lock()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._cancelled_timers: set[int] = set()
        self._timer_ids = itertools.count(1)
        self._pump: EventPump | None = None

    # -- any thread --------------------------------------------------------------------------------
    def start(self, boot: Callable[[], EventPump], teardown: Callable[[], None], timeout: float) -> None:
        """Run `boot` on a new SIP thread (it returns PJSIP's event pump), then commands, timers and the
        pump until `stop()`; `teardown` runs there at the end, also after a failed or late boot. Raises
        `SipError` if the boot fails or does not finish within `timeout`."""
        if self.started:
            raise SipError("this SIP loop was already started (a loop starts once)")
        self._thread = threading.Thread(target=self._run, args=(boot, teardown), name=self._name, daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            self._stop_requested = True  # a boot that finishes later tears down at once: nobody waits for it
            raise SipError(f"the SIP engine did not start within {timeout} s")
        if self._boot_error is not None:
            self._thread.join(timeout)
            raise SipError(f"the SIP engine could not start: {self._boot_error}")

    def stop(self, timeout: float) -> bool:
        """Ask the loop to end and wait for its teardown (not when called on the SIP thread itself: the
        loop ends after the current callback returns). False: the thread was not running."""
        thread = self._thread
        if thread is None or not thread.is_alive():
            return False
        self._stop_requested = True
        if threading.current_thread() is thread:
            return True
        thread.join(timeout)
        if thread.is_alive():
            log.error("the SIP thread did not stop within %s s", timeout)
        return True

    @property
    def started(self) -> bool:
        """`start` was called (a loop starts once)."""
        return self._thread is not None

    @property
    def running(self) -> bool:
        return self._running

    def on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        """Run `fn` on the SIP thread (at once when called there); its result or error completes the
        future (errors as copies without traceback)."""
        future: Future[T] = Future()
        if self.on_thread():
            _execute(fn, future)
            return future
        with self._accepting:
            if self._running and not self._stop_requested:
                self._queue.put((fn, future))
                return future
        future.set_exception(EngineNotRunningError("the SIP engine is not running"))
        return future

    # -- SIP thread --------------------------------------------------------------------------------
    def call_later(self, delay: float, fn: Callable[[], None]) -> int:
        """Run `fn` on the SIP thread after `delay` seconds. Returns a timer id for `cancel`."""
        timer_id = next(self._timer_ids)
        heapq.heappush(self._timers, (time.monotonic() + delay, timer_id, fn))
        return timer_id

    def cancel(self, timer_id: int) -> None:
        self._cancelled_timers.add(timer_id)

    def clear_timers(self) -> None:
        self._timers.clear()

    def poll_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Handle PJSIP events and timers until `condition()` holds or `timeout` passes."""
        pump = self._pump
        if pump is None:
            return
        deadline = time.monotonic() + timeout
        while not condition() and time.monotonic() < deadline:
            pump(10)
            self._run_timers()

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, timer_id, fn = heapq.heappop(self._timers)
            if timer_id in self._cancelled_timers:
                self._cancelled_timers.discard(timer_id)
                continue
            guarded(fn)()

    def _run(self, boot: Callable[[], EventPump], teardown: Callable[[], None]) -> None:
        _name_os_thread(self._name)
        try:
            self._pump = pump = boot()
        except BaseException as error:
            self._boot_error = detached(error)
            self._started.set()
            self._finish(teardown)
            return
        self._running = True
        self._started.set()
        try:
            while not self._stop_requested:
                pump(0)
                self._run_timers()
                try:
                    fn, future = self._queue.get(timeout=POLL_INTERVAL_S)
                except queue.Empty:
                    continue
                _execute(fn, future)
                while not self._stop_requested:
                    try:
                        fn, future = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    _execute(fn, future)
        finally:
            with self._accepting:
                self._running = False
            del pump
            self._finish(teardown)

    def _finish(self, teardown: Callable[[], None]) -> None:
        while True:  # fail commands that arrived too late
            try:
                _, future = self._queue.get_nowait()
            except queue.Empty:
                break
            if future.set_running_or_notify_cancel():
                future.set_exception(EngineNotRunningError("the SIP engine stopped"))
        teardown()
        self._timers.clear()
        self._pump = None


def _name_os_thread(name: str) -> None:
    """Name the calling thread in the OS too (Python does not), so that `top -H` and the benchmarks'
    per-thread CPU figures (/proc/<pid>/task/<tid>/comm, at most 15 bytes) can tell the SIP thread apart."""
    with contextlib.suppress(OSError):
        Path(f"/proc/self/task/{threading.get_native_id()}/comm").write_text(name[:15])


def _execute(fn: Callable[[], Any], future: Future[Any]) -> None:
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn()
    except BaseException as error:
        future.set_exception(detached(error))
    else:
        future.set_result(result)
