"""`SipLoop`, the SIP thread's core, without PJSIP: commands from other threads run on the loop's
thread and complete futures, timers run in order and can be cancelled, and nothing submitted is
left hanging when the loop stops or fails to boot."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

from earpiece.sip.errors import EngineNotRunningError, SipError
from earpiece.sip.loop import EventPump, SipLoop


class _Pump:
    """Stands in for `Endpoint.libHandleEvents`: counts the calls and the thread they came from."""

    def __init__(self) -> None:
        self.calls = 0
        self.threads: set[int] = set()

    def __call__(self, max_wait_ms: int) -> object:
        self.calls += 1
        self.threads.add(threading.get_ident())
        return 0


@pytest.fixture
def pump() -> _Pump:
    return _Pump()


@pytest.fixture
def loop(pump: _Pump) -> Iterator[SipLoop]:
    sip_loop = SipLoop("test-sip")
    torn_down = threading.Event()
    sip_loop.start(lambda: pump, torn_down.set, timeout=5)
    yield sip_loop
    sip_loop.stop(5)
    assert torn_down.is_set()


def test_the_sip_thread_carries_its_name_in_the_os(loop: SipLoop) -> None:
    """`top -H` and bench/scale's per-thread CPU split tell the SIP thread apart by its OS name."""
    native_id = loop.submit(threading.get_native_id).result(2)
    assert Path(f"/proc/self/task/{native_id}/comm").read_text().strip() == "test-sip"


def test_commands_run_on_the_sip_thread_and_complete_their_futures(loop: SipLoop, pump: _Pump) -> None:
    ran_on = loop.submit(threading.get_ident).result(2)
    assert ran_on != threading.get_ident()
    assert loop.submit(lambda: 6 * 7).result(2) == 42
    assert pump.threads == {ran_on}, "PJSIP was polled from another thread"


def test_a_failing_command_hands_over_a_copy_without_traceback(loop: SipLoop) -> None:
    def fail() -> None:
        raise ValueError("bad digits")

    error = loop.submit(fail).exception(2)
    assert isinstance(error, ValueError) and str(error) == "bad digits"
    assert error.__traceback__ is None  # a traceback would pin the SIP thread's objects


def test_timers_run_in_time_order_and_a_cancelled_one_never_runs(loop: SipLoop) -> None:
    ran: list[str] = []
    done = threading.Event()

    def last() -> None:
        ran.append("late")
        done.set()

    def schedule() -> None:
        loop.call_later(0.2, last)
        loop.call_later(0.05, lambda: ran.append("early"))
        loop.cancel(loop.call_later(0.1, lambda: ran.append("cancelled")))

    started = time.monotonic()
    loop.submit(schedule).result(2)
    assert done.wait(2)
    assert ran == ["early", "late"]
    assert time.monotonic() - started >= 0.2


def test_poll_until_pumps_events_until_the_condition_holds(loop: SipLoop, pump: _Pump) -> None:
    def poll() -> int:
        before = pump.calls
        loop.poll_until(lambda: pump.calls >= before + 5, timeout=2)
        return pump.calls - before

    assert loop.submit(poll).result(3) >= 5


def test_after_stop_commands_fail_at_once(pump: _Pump) -> None:
    loop = SipLoop("test-sip")
    loop.start(lambda: pump, lambda: None, timeout=5)
    assert loop.running
    loop.stop(5)
    assert not loop.running
    with pytest.raises(EngineNotRunningError):
        loop.submit(lambda: None).result(1)


def test_commands_queued_when_the_loop_stops_are_failed_not_lost(pump: _Pump) -> None:
    loop = SipLoop("test-sip")
    release = threading.Event()
    loop.start(lambda: pump, lambda: None, timeout=5)
    blocker = loop.submit(lambda: release.wait(5))
    loop.submit(lambda: loop.stop(5))  # on the SIP thread: the loop ends after this command
    queued = [loop.submit(lambda: "never") for _ in range(3)]
    release.set()
    assert blocker.result(5)
    for future in queued:
        assert isinstance(future.exception(5), EngineNotRunningError)


def test_a_failed_boot_is_an_error_and_still_tears_down(pump: _Pump) -> None:
    torn_down = threading.Event()

    def boot() -> EventPump:
        raise RuntimeError("no transport")

    loop = SipLoop("test-sip")
    with pytest.raises(SipError, match="could not start: no transport"):
        loop.start(boot, torn_down.set, timeout=5)
    assert torn_down.is_set()
    assert not loop.running


class _SlowQueue:
    """The loop's command queue, whose `put` waits (up to 1 s) for the loop to stop running first: the
    command arrives in the window between a submitter's check and its put."""

    def __init__(self, loop: SipLoop) -> None:
        self._loop = loop
        self._inner: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.checked = threading.Event()

    def put(self, item: Any) -> None:
        self.checked.set()
        wait_until = time.monotonic() + 1.0
        while self._loop.running and time.monotonic() < wait_until:
            time.sleep(0.01)
        self._inner.put(item)

    def get(self, timeout: float) -> Any:
        return self._inner.get(timeout=timeout)

    def get_nowait(self) -> Any:
        return self._inner.get_nowait()


def test_a_command_submitted_while_the_loop_stops_is_failed_not_lost(pump: _Pump) -> None:
    """A command that passed the "running?" check just before the loop's last look at its queue."""
    loop = SipLoop("test-sip")
    loop.start(lambda: pump, lambda: None, timeout=5)
    slow = _SlowQueue(loop)
    loop._queue = slow  # type: ignore[assignment]
    late: list[Future[str]] = []
    submitter = threading.Thread(
        target=lambda: late.append(loop.submit(lambda: "late")), name="test-submitter"
    )
    submitter.start()
    assert slow.checked.wait(2)
    loop.stop(5)
    submitter.join(5)
    assert isinstance(late[0].exception(2), EngineNotRunningError)


def test_a_boot_that_finishes_after_the_start_timeout_tears_down_instead_of_running_on(pump: _Pump) -> None:
    """`start` already told its caller the engine did not start; a loop left running would hold the
    process's one PJSIP endpoint with nobody to stop it."""
    torn_down = threading.Event()

    def slow_boot() -> EventPump:
        time.sleep(0.5)
        return pump

    loop = SipLoop("test-sip")
    with pytest.raises(SipError, match="did not start within"):
        loop.start(slow_boot, torn_down.set, timeout=0.1)
    assert torn_down.wait(3), "the late boot left the loop running"
    assert not loop.running
    with pytest.raises(EngineNotRunningError):
        loop.submit(lambda: None).result(1)
