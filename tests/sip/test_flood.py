"""No packet kills the phone: SIPp sends oversized, offer-less and bursts of INVITEs straight to an
engine running in a child process (an abort fails the test, not pytest); afterwards a real caller
(baresip through Kamailio) still gets answered."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.sip.admission import AdmissionLimits
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import LOOPBACK, free_port, wait_for
from tests.peers.sipp import run_sipp
from tests.sip.conftest import USERS
from tests.sip.engine_child import EngineChild
from tests.sip.flood import flood_connections
from tests.sip.malformed import Invite, malformed_invites, send_invites_naming_tcp_contacts_that_never_answer

pytestmark = pytest.mark.peers


@pytest.fixture
def phone(registrar: Kamailio, tmp_path: Path) -> Iterator[EngineChild]:
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path) as child:
        yield child


def assert_answers_a_real_call(phone: EngineChild, registrar: Kamailio) -> None:
    assert phone.alive(), f"the phone died ({phone.exit_status()}):\n{phone.log_tail()}"
    with Baresip("bob", USERS["bob"], registrar) as bob:
        assert wait_for(lambda: "OK" in bob.command("reginfo")["data"], 5, 0.1)
        bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
        bob.wait_event("CALL_ESTABLISHED", timeout=10)
        bob.command("hangup")
    offered = [e for e in phone.of("IncomingCall") if e["remote_uri"].startswith("sip:bob@")]
    assert offered, phone.events[-10:]
    phone.wait("CallStateChanged", call_id=offered[-1]["call_id"], state="confirmed", timeout=1)


HUGE = 4100  # > PJSIP_MAX_PKT_LEN with the rest of the INVITE: the datagram arrives cut at 4000 bytes
SHAPES = {
    # name: (SIPp keys, the answer the phone must give)
    "content-type subtype of 4100 chars (the PROTOS crash)": ({"ctype": "application/" + "x" * HUGE}, 513),
    "content-type subtype of 3000 chars": ({"ctype": "application/" + "x" * 3000}, 415),
    "Subject of 8000 chars": ({"subject": "s" * 8000}, 513),
    "Subject of 3400 chars": ({"subject": "s" * 3400}, 403),
    "From user of 3000 chars": ({"from_user": "f" * 3000}, 403),
    "Via branch of 3000 chars": ({"branch_pad": "b" * 3000}, 403),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_an_oversized_invite_is_refused_and_the_phone_answers_the_next_call(
    phone: EngineChild, registrar: Kamailio, shape: str
) -> None:
    keys, code = SHAPES[shape]
    values = {"ctype": "application/sdp", "subject": "hello", "from_user": "intruder", "branch_pad": ""}
    values.update(keys)
    extra = [arg for name, value in values.items() for arg in ("-key", name, value)]
    result = run_sipp("hostile_invite", phone.address, timeout_s=5, extra=extra)
    assert result.ok, result.details
    if code != 415:  # PJSIP answers an unknown Content-Type itself (onRejectedIncomingCall, no event)
        phone.wait("IncomingCallRejected", code=code, timeout=3)
    assert_answers_a_real_call(phone, registrar)


def test_an_invite_without_sdp_from_a_stranger_is_refused(phone: EngineChild, registrar: Kamailio) -> None:
    """The root cause of the PROTOS crash: refusing an offer-less INVITE inside onIncomingCall aborted."""
    result = run_sipp("invite_without_sdp", phone.address, timeout_s=5)
    assert result.ok, result.details
    phone.wait("IncomingCallRejected", code=403, timeout=3)
    assert_answers_a_real_call(phone, registrar)


def test_a_burst_of_200_direct_invites_at_100_per_s_is_refused_and_survived(
    phone: EngineChild, registrar: Kamailio
) -> None:
    result = run_sipp("direct_invite", phone.address, calls=200, rate=100, timeout_s=20)
    assert phone.alive(), f"the phone died ({phone.exit_status()}):\n{phone.log_tail()}"
    assert result.ok, result.details  # every one got its 403
    assert len(phone.of("IncomingCallRejected", code=403)) == 200
    assert_answers_a_real_call(phone, registrar)


def test_a_burst_from_a_trusted_address_is_limited_per_source_before_it_opens_sockets(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """Direct calls allowed: all 200 INVITEs (100/s) would reach the account; one address gets a burst
    of 10 and then 5 per second, the rest 503."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, allow_direct_calls=True) as phone:
        result = run_sipp("trusted_burst", phone.address, calls=200, rate=100, timeout_s=20)
        assert phone.alive(), f"the phone died ({phone.exit_status()}):\n{phone.log_tail()}"
        assert result.ok, result.details
        limits = AdmissionLimits()
        offered = len(phone.of("IncomingCall"))
        assert offered <= limits.invite_burst_per_source + limits.invites_per_source_s * 3, offered
        refused = phone.of("IncomingCallRejected", code=503)
        assert refused and all("from this address" in e["reason"] for e in refused)
        # The real call comes through Kamailio on 127.0.0.1, the burst's own address, at once: the
        # registrar has no per-source allowance to wait for (only the shared budget, which the burst's
        # 5 per second leave room in).
        assert_answers_a_real_call(phone, registrar)


def test_a_burst_from_many_trusted_addresses_is_held_to_the_socket_budget(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """No per-source limit to help (as with many senders): without the budget of 20 INVITEs per
    second, the 33rd within 500 ms exhausted PJSIP's 64 media sockets and aborted the process
    (`pj_ioqueue_register_sock2: Assertion '!pj_list_empty(&ioqueue->free_list)'`)."""
    generous: dict[str, float] = {"invite_burst_per_source": 1000, "invites_per_source_s": 1000}
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, allow_direct_calls=True,
                     admission=generous) as phone:
        started = time.monotonic()
        result = run_sipp("trusted_burst", phone.address, calls=200, rate=100, timeout_s=20)
        elapsed = time.monotonic() - started
        assert phone.alive(), f"the phone died ({phone.exit_status()}):\n{phone.log_tail()}"
        assert result.ok, result.details
        offered = len(phone.of("IncomingCall"))
        assert offered <= AdmissionLimits().media_invites_per_s * (elapsed + 1), (offered, elapsed)
        refused = phone.of("IncomingCallRejected", code=503)
        assert refused and all("new calls this second" in e["reason"] for e in refused)
        assert_answers_a_real_call(phone, registrar)


def test_invites_whose_contact_is_a_tcp_address_that_never_answers_are_refused_and_survived(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """Sent over UDP to a phone that also listens on TCP (the default): 50 INVITEs whose Contact is a
    TCP URI of an address that never completes a connection, then 30 whose Contact is a closed TCP
    port. The refused calls' dialogs used to connect to each Contact: the pending connections held 50
    of the SIP ioqueue's 64 keys, the refused ones each held one for 500 ms after closing, and when
    those took the last free keys PJSIP aborted the process
    (`pj_ioqueue_register_sock2: Assertion '!pj_list_empty(&ioqueue->free_list)'`)."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, tcp=True) as phone:
        sent = send_invites_naming_tcp_contacts_that_never_answer(phone.address)
        refused = phone.of
        wait_for(lambda: len(refused("IncomingCallRejected", code=403)) == sent or not phone.alive(), 10)
        assert_answers_a_real_call(phone, registrar)
        assert len(refused("IncomingCallRejected", code=403)) == sent


def test_invites_each_on_its_own_tcp_connection_are_refused_and_survived(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """200 INVITEs from strangers, each on a TCP connection of its own that the sender closes 20 ms
    later, with a Via naming a closed port. A connection whose INVITE was answered stays alive until
    that transaction ends (32 s): those, with the ones closing at the same time (500 ms each), took
    the SIP ioqueue's last keys after about 70 INVITEs and PJSIP aborted the process. Beyond
    `max_connections` alive, a new connection is shut down before PJSIP reads from it."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, tcp=True) as phone:
        via = f"{LOOPBACK}:{free_port(udp=False)}"
        for n in range(200):
            try:
                with socket.create_connection(phone.tcp_address, timeout=2) as connection:
                    invite = Invite(phone.tcp_address, (LOOPBACK, 9), n)
                    invite.set("Via", f"SIP/2.0/TCP {via};branch=z9hG4bK-tcp{n}")
                    connection.sendall(invite.encode())
                    time.sleep(0.02)
            except OSError:  # a refused connection may be closed before the INVITE is written
                pass
            if not phone.alive():
                break
        assert phone.alive(), f"the phone died ({phone.exit_status()}):\n{phone.log_tail()}"
        assert len(phone.of("IncomingCallRejected", code=403)) >= AdmissionLimits().max_connections
        assert "SIP connection refused" in phone.log_tail(200_000)
        assert_answers_a_real_call(phone, registrar)


def test_a_parallel_connection_flood_pauses_new_connections_and_is_survived(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """Eight clients for four seconds: four connect, send an INVITE and close 30 ms later (those stay
    alive 32 s and fill the cap), four connect and close at full speed (each refused connection keeps
    its ioqueue key 500 ms after it is gone). Within about a second the keys ran out and PJSIP aborted
    the process (`pj_ioqueue_register_sock2: Assertion '!pj_list_empty(&ioqueue->free_list)'`). Now the
    listener drops new SYNs for a second whenever 40 keys are held."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, tcp=True) as phone:
        flood = flood_connections(phone.tcp_address, 4.0, stop=lambda: not phone.alive())
        assert phone.alive(), f"the phone died ({phone.exit_status()}, {flood}):\n{phone.log_tail()}"
        log = phone.log_tail(200_000)
        # one line for the pause, however many there were (the rest at DEBUG, a count each minute)
        assert log.count("SIP connections paused for") == 1, (flood, log[-2000:])
        assert_answers_a_real_call(phone, registrar)


def test_a_connection_flood_on_the_tls_port_is_kept_out_and_survived(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """PJSIP's TLS listener has no server certificate, so no incoming handshake can succeed; yet each
    connection held an ioqueue key and PJSIP reported none of them (only finished handshakes), so no
    breaker saw the flood: it aborted the process after ~120 connections. That listener now drops
    every new connection."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, tls=True) as phone:
        flood = flood_connections(phone.tls_address, 4.0, stop=lambda: not phone.alive())
        assert phone.alive(), f"the phone died ({phone.exit_status()}, {flood}):\n{phone.log_tail()}"
        assert_answers_a_real_call(phone, registrar)


def test_protos_like_malformed_invites_are_dropped_or_refused_and_the_phone_answers_the_next_call(
    registrar: Kamailio, tmp_path: Path
) -> None:
    """Every case of tests/sip/malformed.py (each header and SDP line overflowed, format strings, NUL
    and non-UTF-8 bytes, Content-Length mismatches, multipart bodies, truncations) straight to a phone
    that also listens on TCP, 100 a second: it stays alive through each one and answers a real call."""
    with EngineChild(registrar, "alice", USERS["alice"], tmp_path, tcp=True) as phone, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        sender.bind((LOOPBACK, 0))
        for what, datagram in malformed_invites(phone.address, sender.getsockname()):
            sender.sendto(datagram, phone.address)
            time.sleep(0.01)
            assert phone.alive(), f"the phone died after {what} ({phone.exit_status()}):\n{phone.log_tail()}"
        assert phone.of("IncomingCallRejected", code=513), "no oversized INVITE was refused"
        assert_answers_a_real_call(phone, registrar)
