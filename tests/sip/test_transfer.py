"""Attended transfer made here, and transfer requests (REFER) from the remote party when allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from earpiece.sip.engine import SipEngine
from earpiece.sip.events import (
    CallDirection,
    CallState,
    CallStateChanged,
    TransferProgress,
    TransferRequestRejected,
)
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


def _peer(registrar: Kamailio, user: str, *, auto_answer: bool) -> Baresip:
    return Baresip(user, USERS[user], registrar, auto_answer=auto_answer)


@pytest.fixture
def bob(registrar: Kamailio) -> Iterator[Baresip]:
    with _peer(registrar, "bob", auto_answer=True) as peer:
        assert wait_for(lambda: "OK" in peer.command("reginfo")["data"], 5, 0.1), "bob did not register"
        yield peer


@pytest.fixture
def carol(registrar: Kamailio) -> Iterator[Baresip]:
    with _peer(registrar, "carol", auto_answer=True) as peer:
        assert wait_for(lambda: "OK" in peer.command("reginfo")["data"], 5, 0.1), "carol did not register"
        yield peer


def _confirmed_call(engine: SipEngine, events: EventLog, destination: str) -> str:
    call_id = engine.make_call("alice", destination).result(5)
    events.wait(
        CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED, timeout=5
    )
    return call_id


def test_attended_transfer_puts_the_two_remote_parties_in_one_call(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    registrar: Kamailio,
    bob: Baresip,
    carol: Baresip,
) -> None:
    registered("alice")
    to_bob = _confirmed_call(engine, events, "bob")
    engine.hold(to_bob).result(5)
    to_carol = _confirmed_call(engine, events, "carol")
    consultation = next(i for i in registrar.invites() if (i.from_user, i.to_user) == ("alice", "carol"))

    engine.attended_transfer(to_bob, to_carol).result(5)

    # Bob got a REFER whose Refer-To replaces our dialog with Carol (RFC 3891), not a blind one.
    refer = bob.wait_event("TRANSFER", timeout=5)
    assert "sip:carol@" in refer["param"] and f"Replaces={consultation.call_id}" in refer["param"]
    done = events.wait(TransferProgress, lambda e: e.call_id == to_bob and e.final, timeout=5)
    assert done.code == 200
    # Bob and Carol talk to each other...
    bob.wait_event("CALL_ESTABLISHED", timeout=5, peeruri="sip:carol@")
    carol.wait_event("CALL_ESTABLISHED", timeout=5, peeruri="sip:bob@")
    assert any((i.from_user, i.to_user) == ("bob", "carol") for i in registrar.invites())
    # ...and both our calls are over. baresip 1.0 supports no Replaces: its INVITE to Carol is a plain
    # one (Kamailio logs replaces=<null>), so the engine ends the consultation call itself.
    for call_id in (to_bob, to_carol):
        def over(e: CallStateChanged, call_id: str = call_id) -> bool:
            return e.call_id == call_id and e.state is CallState.DISCONNECTED

        ended = events.wait(CallStateChanged, over, 5)
        assert ended.reason == "transferred"
    carol.wait_event("CALL_CLOSED", timeout=5, peeruri="sip:alice@")
    assert engine.calls() == []
    records = {r.call_id: r for r in engine.history.load()}
    assert records[to_bob].end_reason == records[to_carol].end_reason == "transferred"


def test_an_allowed_transfer_request_makes_the_target_ring(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio, bob: Baresip
) -> None:
    registered("alice", allow_transfer_requests=True)
    with _peer(registrar, "carol", auto_answer=False) as carol:
        assert wait_for(lambda: "OK" in carol.command("reginfo")["data"], 5, 0.1)
        to_bob = _confirmed_call(engine, events, "bob")
        since = events.mark()
        bob.command("transfer", f"sip:carol@{registrar.domain}:{registrar.port}")
        incoming = carol.wait_event("CALL_INCOMING", timeout=5)
        assert "sip:alice@" in incoming["peeruri"]
        placed = events.wait(
            CallStateChanged,
            lambda e: e.call_id != to_bob and e.state is CallState.EARLY,
            timeout=5,
            since=since,
        )
        assert placed.direction is CallDirection.OUTBOUND and "sip:carol@" in placed.remote_uri
        assert not events.of(TransferRequestRejected, since)
        carol.command("accept")
        events.wait(
            CallStateChanged,
            lambda e: e.call_id == placed.call_id and e.state is CallState.CONFIRMED,
            timeout=5,
        )
        carol.wait_event("CALL_ESTABLISHED", timeout=5)
        engine.hangup(placed.call_id).result(5)
        events.wait(
            CallStateChanged,
            lambda e: e.call_id == placed.call_id and e.state is CallState.DISCONNECTED,
            timeout=5,
        )
