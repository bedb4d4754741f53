"""Stale calls do not hold the line: SIPp calls through Kamailio that are answered but never ACKed, or
whose RTP stops (SIPp killed, no BYE), are ended by the engine and their slot is free again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallState, CallStateChanged, IncomingCall
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.peers.sipp import run_sipp, start_sipp
from tests.sip.conftest import USERS, Register, running_engine
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers

ACK_TIMEOUT_S = 2.0
MEDIA_TIMEOUT_S = 2.0


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    yield from running_engine(
        tmp_path_factory, config={"ack_timeout_s": ACK_TIMEOUT_S, "media_timeout_s": MEDIA_TIMEOUT_S}
    )


def _ended(events: EventLog, call_id: str, timeout: float) -> CallStateChanged:
    def ended(e: CallStateChanged) -> bool:
        return e.call_id == call_id and e.state is CallState.DISCONNECTED

    return events.wait(CallStateChanged, ended, timeout=timeout)


def test_answered_calls_whose_ack_never_comes_are_ended_and_free_the_line(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    """Four of them hold every slot the wheel has (PJSIP alone keeps them ~37 s); a real caller
    is answered right after the timeout."""
    registered("alice", auto_answer_s=0, display_name="")  # SIPp cannot route to a named Contact
    started = time.monotonic()
    result = run_sipp("invite_never_acked", registrar.address, calls=4, rate=20, timeout_s=20)
    assert result.ok, result.details  # every call got its BYE (and answered it)
    offered = [e.call_id for e in events.of(IncomingCall)]
    assert len(offered) == 4
    ended = [_ended(events, call_id, timeout=3) for call_id in offered]
    assert all("no ACK" in e.reason for e in ended), ended
    held_s = max(e.at for e in ended) - started
    assert ACK_TIMEOUT_S <= held_s < ACK_TIMEOUT_S + 3, held_s
    assert wait_for(lambda: engine.calls() == [], 2)
    assert {r.call_id for r in engine.history.load()[-4:]} == set(offered)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        assert wait_for(lambda: "OK" in bob.command("reginfo")["data"], 5, 0.1)
        since = events.mark()
        bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
        call_id = events.wait(IncomingCall, timeout=5, since=since).call_id
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED)
        bob.command("hangup")
        _ended(events, call_id, timeout=5)


def test_a_call_whose_incoming_audio_stops_is_ended(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio, tmp_path: Path
) -> None:
    registered("alice", auto_answer_s=0, display_name="")
    peer = start_sipp("answered_then_silent", registrar.address, tmp_path, extra=["-rtp_echo"])
    try:
        call_id = events.wait(IncomingCall, timeout=5).call_id
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED)
        # While SIPp echoes our RTP back the call lives well past the timeout.
        time.sleep(MEDIA_TIMEOUT_S * 2)
        assert [c.state for c in engine.calls()] == [CallState.CONFIRMED], peer.log_text()[-2000:]
        peer.kill()  # the far end vanishes: no BYE, no more RTP
        killed = time.monotonic()
        ended = _ended(events, call_id, timeout=MEDIA_TIMEOUT_S + 3)
    finally:
        peer.kill()
    assert "no audio received" in ended.reason, ended
    assert MEDIA_TIMEOUT_S - 0.6 <= ended.at - killed < MEDIA_TIMEOUT_S + 2
    assert wait_for(lambda: engine.calls() == [], 2)
