"""Hostile input from SIPp scenarios the project wrote: the engine refuses it and keeps working."""

from __future__ import annotations

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import (
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    IncomingCall,
    IncomingCallRejected,
    RegistrationState,
    TransferRequestRejected,
)
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.peers.sipp import run_sipp
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


def test_direct_invite_from_a_stranger_is_refused(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
) -> None:
    registered("alice")
    result = run_sipp("direct_invite", engine.local_address(Transport.UDP))
    assert result.ok, result.details
    rejected = events.wait(IncomingCallRejected, timeout=3)
    assert rejected.code == 403 and "did not come through the registrar" in rejected.reason
    assert not events.of(IncomingCall)


def test_a_bounded_invite_burst_is_refused_call_by_call(
    engine: SipEngine, registered: Register, events: EventLog
) -> None:
    """30 INVITEs at 40/s, each refused before PJSIP opens RTP sockets for it (the quarantine account).
    Larger floods run against an engine in a child process (test_flood.py)."""
    registered("alice")
    result = run_sipp("direct_invite", engine.local_address(Transport.UDP), calls=30, rate=40, timeout_s=15)
    assert result.ok, result.details
    assert wait_for(lambda: len(events.of(IncomingCallRejected)) == 30, 5)
    assert engine.calls() == [] or all(c.state is CallState.DISCONNECTED for c in engine.calls())


@pytest.mark.parametrize("scenario", ["malformed_headers", "wrong_content_length", "garbage_sdp"])
def test_malformed_messages_are_dropped_or_refused(
    engine: SipEngine, registered: Register, events: EventLog, scenario: str
) -> None:
    registered("alice")
    result = run_sipp(scenario, engine.local_address(Transport.UDP), timeout_s=5)
    assert result.ok, result.details
    assert not events.of(IncomingCall)
    assert engine.registration_state("alice") is RegistrationState.REGISTERED


def test_refer_towards_an_arbitrary_number_is_declined(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0, display_name="")  # SIPp cannot route to a named Contact
    result = run_sipp("refer_to_number", registrar.address)
    assert result.ok, result.details
    refused = events.wait(TransferRequestRejected, timeout=3)
    assert "0900123456" in refused.target
    ended = events.wait(CallStateChanged, lambda e: e.state is CallState.DISCONNECTED, timeout=3)
    assert ended.reason == "hung up by the other party"
    # No call was placed to the number.
    assert all("0900123456" not in e.remote_uri for e in events.of(CallStateChanged))


def test_dtmf_received_as_sip_info(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0, display_name="")  # SIPp cannot route to a named Contact
    result = run_sipp("info_dtmf", registrar.address)
    assert result.ok, result.details
    digit = events.wait(DtmfReceived, timeout=3)
    assert (digit.digit, digit.method) == ("9", DtmfMethod.SIP_INFO)
    ringing = events.of(IncomingCall)[0]
    assert ringing.display_name == "Mallory" and ringing.remote_uri.startswith("sip:mallory@")


def test_a_normal_call_works_after_the_hostile_traffic(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        assert wait_for(lambda: "OK" in bob.command("reginfo")["data"], 5, 0.1)
        bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
        call_id = events.wait(IncomingCall, timeout=5).call_id
        events.wait(
            CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED, timeout=5
        )
        bob.wait_event("CALL_ESTABLISHED", timeout=5)
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
