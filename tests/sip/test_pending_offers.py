"""A hold or resume that waits for the call's open re-INVITE (sip/reinvite.py) never leaves its caller
waiting forever: it fails with a specific error when the call ends or the engine stops first.

The far end is SIPp through Kamailio: it answers our hold re-INVITE with 100 Trying and nothing more,
so PJSIP's INVITE transaction stays open and the resume right after it is retried, as in a desktop
where the agent presses Hold then Resume on a slow line. The last test drives `PendingOffers` on a
bare `SipLoop` (no PJSIP endpoint) to send a command during the loop's own teardown."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path

import pjsua2 as pj
import pytest

from earpiece.sip.engine import SipEngine
from earpiece.sip.errors import CallEndedError, EngineNotRunningError
from earpiece.sip.events import (
    CallState,
    CallStateChanged,
    IncomingCall,
    RegistrationChanged,
    RegistrationState,
)
from earpiece.sip.loop import SipLoop
from earpiece.sip.reinvite import PendingOffers
from tests.peers.kamailio import Kamailio
from tests.peers.process import PeerProcess
from tests.peers.sipp import start_sipp
from tests.sip.conftest import USERS, account, running_engine
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers

# An absolute path: `start_sipp` joins it to its own scenario folder, which keeps it as it is.
REINVITE_LEFT_OPEN = str(Path(__file__).with_name("sipp") / "reinvite_left_open")


@pytest.fixture
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    """One engine per test: a test stops it."""
    yield from running_engine(tmp_path_factory)


@pytest.fixture
def sipp_call(
    engine: SipEngine, events: EventLog, registrar: Kamailio, tmp_path: Path
) -> Iterator[tuple[str, PeerProcess]]:
    """An answered call from SIPp (scenario `reinvite_left_open`): its id and SIPp. The account is
    not removed after the test (the engine's own stop unregisters it): a test stops the engine."""
    settings = account(registrar, "alice", auto_answer_s=0, display_name="")  # SIPp cannot route to a name
    engine.add_account(settings, USERS["alice"]).result(5)
    events.wait(RegistrationChanged, lambda e: e.state is RegistrationState.REGISTERED, timeout=5)
    peer = start_sipp(REINVITE_LEFT_OPEN, registrar.address, tmp_path, timeout_s=40)
    try:
        call_id = events.wait(IncomingCall, timeout=5).call_id
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED)
        yield call_id, peer
    finally:
        peer.kill()


def _resume_waiting_behind_a_hold(engine: SipEngine, call_id: str, peer: PeerProcess) -> Future[None]:
    engine.hold(call_id).result(5)  # sent; its transaction stays open (100 Trying only)
    resumed = engine.resume(call_id)
    time.sleep(0.5)
    assert not resumed.done(), f"the resume did not wait for the hold: {resumed}\n{peer.log_text()[-2000:]}"
    return resumed


def test_a_resume_waiting_for_the_open_hold_fails_when_the_engine_stops(
    engine: SipEngine, sipp_call: tuple[str, PeerProcess]
) -> None:
    call_id, peer = sipp_call
    resumed = _resume_waiting_behind_a_hold(engine, call_id, peer)
    engine.stop()
    error = resumed.exception(timeout=2)  # before the fix: nothing ever completed it (TimeoutError)
    assert isinstance(error, EngineNotRunningError), repr(error)
    assert f"before the resume of call {call_id}" in str(error)


def test_a_resume_waiting_for_the_open_hold_fails_at_once_when_the_call_ends(
    engine: SipEngine, sipp_call: tuple[str, PeerProcess], events: EventLog
) -> None:
    call_id, peer = sipp_call
    resumed = _resume_waiting_behind_a_hold(engine, call_id, peer)
    engine.hangup(call_id).result(5)
    events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
    error = resumed.exception(timeout=2)
    assert isinstance(error, CallEndedError), repr(error)  # not a bare "no active call" from a late retry
    assert "ended before its resume was sent" in str(error)


class _BusyCall:
    """A call whose previous offer never ends: every hold or resume meets PJSIP's PJ_EINVALIDOP."""

    def offer(self) -> None:
        error = pj.Error()
        error.status, error.reason = 70013, "Invalid operation (PJ_EINVALIDOP)"
        raise error


def test_a_resume_sent_on_the_sip_thread_during_teardown_fails_at_once() -> None:
    """A subscriber reacting to a call's end while the engine stops runs on the SIP thread, where a
    command runs at once; its retry timer would be dropped with the engine's timers."""
    loop = SipLoop("test-sip")
    busy = _BusyCall()
    offers = PendingOffers(loop.submit, loop, lambda call_id: busy)  # type: ignore[arg-type,return-value]
    late: list[Future[None]] = []

    def teardown() -> None:
        offers.stop()
        late.append(offers.send("c1", "resume", lambda call: call.offer()))

    loop.start(lambda: lambda max_wait_ms: 0, teardown, timeout=5)
    waiting = offers.send("c0", "hold", lambda call: call.offer())
    time.sleep(0.3)
    assert not waiting.done()
    loop.stop(5)
    assert isinstance(waiting.exception(1), EngineNotRunningError)
    assert isinstance(late[0].exception(1), EngineNotRunningError)  # before the fix: a dropped retry
