"""Calls through Kamailio between the engine and baresip, an independent softphone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.sip.engine import SipEngine
from earpiece.sip.events import (
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    IncomingCall,
    MediaStatus,
    RejectReason,
    TransferProgress,
)
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


@pytest.fixture
def bob(registrar: Kamailio) -> Iterator[Baresip]:
    with Baresip("bob", USERS["bob"], registrar) as peer:
        yield peer


@pytest.fixture
def bob_answers(registrar: Kamailio) -> Iterator[Baresip]:
    with Baresip("bob", USERS["bob"], registrar, auto_answer=True) as peer:
        yield peer


def _registered_peer(peer: Baresip) -> None:
    assert wait_for(lambda: "OK" in peer.command("reginfo")["data"], 5, 0.1), "baresip did not register"


def _state(call_id: str, state: CallState):  # type: ignore[no-untyped-def]
    return lambda e: e.call_id == call_id and e.state is state


def _connect_outbound(engine: SipEngine, events: EventLog, peer: Baresip) -> str:
    """A confirmed call to the peer, after PJSIP's codec-locking re-INVITE (sent because baresip answers
    with several codecs) has completed: a SIP INFO digit sent while it was pending never reached
    baresip 1.0 in about 1 run of 10 (not investigated further; the engine does not queue DTMF)."""
    _registered_peer(peer)
    call_id = engine.make_call("alice", "bob").result(5)
    events.wait(CallStateChanged, _state(call_id, CallState.CONFIRMED), timeout=5)
    peer.wait_event("CALL_ESTABLISHED", timeout=5)
    assert wait_for(lambda: len([e for e in events.of(CallMediaChanged) if e.call_id == call_id]) >= 2, 5)
    return call_id


def test_inbound_call_rings_is_answered_and_the_remote_hangs_up(
    engine: SipEngine, registered: Register, events: EventLog, bob: Baresip, registrar: Kamailio
) -> None:
    alice = registered("alice")
    _registered_peer(bob)
    bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
    ringing = events.wait(IncomingCall, timeout=5)
    assert ringing.account_id == alice.id and "sip:bob@" in ringing.remote_uri
    assert ringing.auto_answer_in_s is None
    bob.wait_event("CALL_RINGING", timeout=5)
    engine.answer(ringing.call_id).result(5)
    events.wait(CallStateChanged, _state(ringing.call_id, CallState.CONFIRMED), timeout=5)
    bob.wait_event("CALL_ESTABLISHED", timeout=5)
    bob.command("hangup")
    ended = events.wait(CallStateChanged, _state(ringing.call_id, CallState.DISCONNECTED), timeout=5)
    assert ended.reason == "hung up by the other party"
    record = next(r for r in engine.history.load() if r.call_id == ringing.call_id)
    assert record.direction is CallDirection.INBOUND and record.answered_at is not None
    assert record.end_reason == "hung up by the other party" and record.duration_s >= 0


def test_outbound_call_is_answered_and_hung_up_here(
    engine: SipEngine, registered: Register, events: EventLog, bob_answers: Baresip
) -> None:
    registered("alice")
    call_id = _connect_outbound(engine, events, bob_answers)
    engine.hangup(call_id).result(5)
    ended = events.wait(CallStateChanged, _state(call_id, CallState.DISCONNECTED), timeout=5)
    assert ended.reason == "hung up here"
    bob_answers.wait_event("CALL_CLOSED", timeout=5)


def test_rejecting_an_incoming_call_as_busy(
    engine: SipEngine, registered: Register, events: EventLog, bob: Baresip, registrar: Kamailio
) -> None:
    registered("alice")
    _registered_peer(bob)
    bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
    ringing = events.wait(IncomingCall, timeout=5)
    engine.reject(ringing.call_id, RejectReason.BUSY).result(5)
    closed = bob.wait_event("CALL_CLOSED", timeout=5)
    assert "486" in closed["param"]
    ended = events.wait(CallStateChanged, _state(ringing.call_id, CallState.DISCONNECTED), timeout=5)
    assert ended.reason == "rejected here"


def test_auto_answer_after_a_delay(
    engine: SipEngine, registered: Register, events: EventLog, bob: Baresip, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0.3)
    _registered_peer(bob)
    bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
    ringing = events.wait(IncomingCall, timeout=5)
    assert ringing.auto_answer_in_s == 0.3
    confirmed = events.wait(CallStateChanged, _state(ringing.call_id, CallState.CONFIRMED), timeout=5)
    assert confirmed.at - ringing.at >= 0.25
    bob.wait_event("CALL_ESTABLISHED", timeout=5)
    bob.command("hangup")
    events.wait(CallStateChanged, _state(ringing.call_id, CallState.DISCONNECTED), timeout=5)


def test_hold_and_resume(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    bob_answers: Baresip,
) -> None:
    registered("alice")
    call_id = _connect_outbound(engine, events, bob_answers)
    since = events.mark()
    engine.hold(call_id).result(5)
    events.wait(
        CallMediaChanged,
        lambda e: e.call_id == call_id and e.status is MediaStatus.LOCAL_HOLD,
        timeout=5,
        since=since,
    )
    since = events.mark()
    engine.resume(call_id).result(5)
    resumed = events.wait(
        CallMediaChanged,
        lambda e: e.call_id == call_id and e.status is MediaStatus.ACTIVE,
        timeout=5,
        since=since,
    )
    assert resumed.codec == "G722/16000"
    audio = engine.call_audio(call_id)
    before = audio.stats().frames_in
    assert wait_for(lambda: audio.stats().frames_in >= before + 10, 2), "no audio frames after resume"
    engine.hangup(call_id).result(5)
    events.wait(CallStateChanged, _state(call_id, CallState.DISCONNECTED), timeout=5)


@pytest.mark.parametrize(("method", "digit"), [(DtmfMethod.RFC4733, "1"), (DtmfMethod.SIP_INFO, "#")])
def test_dtmf_sent_to_the_peer(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    bob_answers: Baresip,
    method: DtmfMethod,
    digit: str,
) -> None:
    registered("alice")
    call_id = _connect_outbound(engine, events, bob_answers)
    engine.send_dtmf(call_id, digit, method).result(5)
    received = bob_answers.wait_event("CALL_DTMF_START", timeout=5)
    assert received["param"] == digit
    engine.hangup(call_id).result(5)
    events.wait(CallStateChanged, _state(call_id, CallState.DISCONNECTED), timeout=5)


def test_dtmf_received_from_the_peer_rfc4733(
    engine: SipEngine, registered: Register, events: EventLog, bob_answers: Baresip
) -> None:
    registered("alice")
    call_id = _connect_outbound(engine, events, bob_answers)
    bob_answers.command("sndcode", "7")
    digit = events.wait(DtmfReceived, lambda e: e.call_id == call_id, timeout=5)
    assert (digit.digit, digit.method) == ("7", DtmfMethod.RFC4733)
    engine.hangup(call_id).result(5)
    events.wait(CallStateChanged, _state(call_id, CallState.DISCONNECTED), timeout=5)


def test_invalid_dtmf_is_refused_before_anything_is_sent(engine: SipEngine) -> None:
    with pytest.raises(ValueError, match="DTMF digits"):
        engine.send_dtmf("no-call", "12x")


def test_blind_transfer_makes_the_third_party_ring(
    engine: SipEngine, registered: Register, events: EventLog, bob_answers: Baresip, registrar: Kamailio
) -> None:
    registered("alice")
    with Baresip("carol", USERS["carol"], registrar) as carol:
        _registered_peer(carol)
        call_id = _connect_outbound(engine, events, bob_answers)
        engine.transfer(call_id, "carol").result(5)
        incoming = carol.wait_event("CALL_INCOMING", timeout=5)
        assert "sip:bob@" in incoming["peeruri"]
        progress = events.wait(TransferProgress, lambda e: e.call_id == call_id, timeout=5)
        assert 100 <= progress.code < 200 and not progress.final
        carol.command("accept")
        done = events.wait(TransferProgress, lambda e: e.call_id == call_id and e.final, timeout=5)
        assert done.code == 200
        ended = events.wait(CallStateChanged, _state(call_id, CallState.DISCONNECTED), timeout=5)
        assert ended.reason in ("transferred", "hung up by the other party")
        carol.wait_event("CALL_ESTABLISHED", timeout=5)
        carol.command("hangup")


def test_unknown_call_and_bad_destination_give_clear_errors(engine: SipEngine, registered: Register) -> None:
    registered("alice")
    with pytest.raises(Exception, match="no active call"):
        engine.hangup("nope").result(5)
    with pytest.raises(ValueError, match="not a valid"):
        engine.make_call("alice", "bob <script>").result(5)


def test_call_records_survive_a_torn_line(tmp_path: Path) -> None:
    from earpiece.sip.records import CallHistory, CallRecord

    history = CallHistory(tmp_path / "h.jsonl")
    record = CallRecord(
        "c1", "alice", CallDirection.OUTBOUND, "sip:bob@x", "Bob", 10.0, 12.0, 20.0, 200, "hung up here"
    )
    history.append(record)
    with history.path.open("a") as out:
        out.write('{"call_id": "torn"')
    assert history.load() == [record] and record.duration_s == 8.0
