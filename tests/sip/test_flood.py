"""No packet kills the phone: SIPp sends oversized, offer-less and bursts of INVITEs straight to an
engine running in a child process (an abort fails the test, not pytest); afterwards a real caller
(baresip through Kamailio) still gets answered."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.sip.admission import AdmissionLimits
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.peers.sipp import run_sipp
from tests.sip.conftest import USERS
from tests.sip.engine_child import EngineChild

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
