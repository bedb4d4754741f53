"""The admission rules that keep INVITEs from opening more RTP sockets than PJSIP has (pure logic,
with a hand-driven clock; the floods themselves are in test_flood.py)."""

from __future__ import annotations

import pytest

from earpiece.sip.admission import PJSIP_MAX_PKT_LEN, Admission, AdmissionLimits, request_method


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def check(admission: Admission, source: str = "10.0.0.1:5060", *, size: int = 900, trusted: bool = True,
          account: str = "alice") -> int:
    refusal = admission.check(source=source, message_bytes=size, account_id=account, trusted=trusted)
    return 0 if refusal is None else refusal.code


def test_one_source_gets_its_burst_then_its_rate() -> None:
    clock = Clock()
    admission = Admission(AdmissionLimits(invite_burst_per_source=10, invites_per_source_s=5.0), clock)
    assert [check(admission) for _ in range(12)] == [0] * 10 + [503, 503]
    assert check(admission, "10.0.0.2:5060") == 0  # another address has its own burst
    clock.now += 0.2  # one more INVITE's worth at 5/s
    assert [check(admission), check(admission)] == [0, 503]


def test_the_registrar_or_proxy_has_no_per_source_allowance_only_the_shared_budget() -> None:
    """Every call of a registered line comes from its proxy: a flood from a direct sender on the
    proxy's host (same address) leaves the proxy's real calls admitted at once, up to the budget."""
    clock = Clock()
    admission = Admission(AdmissionLimits(media_invites_per_s=20, invite_burst_per_source=10), clock)
    assert [check(admission, "10.0.0.1:40000") for _ in range(12)] == [0] * 10 + [503, 503]
    proxy = [admission.check(source="10.0.0.1:5060", message_bytes=900, account_id="alice", trusted=False,
                             from_origin=True) for _ in range(11)]
    assert [r.code if r else 0 for r in proxy] == [0] * 10 + [503]  # 10 direct + 10 relayed = budget
    assert proxy[-1] is not None and "this second" in proxy[-1].reason


def test_all_sources_together_stay_within_the_socket_budget() -> None:
    clock = Clock()
    admission = Admission(AdmissionLimits(media_invites_per_s=20), clock)
    codes = [check(admission, f"10.0.{n}.1:5060") for n in range(25)]
    assert codes == [0] * 20 + [503] * 5
    clock.now += 0.5
    assert check(admission, "10.1.0.1:5060") == 503  # the 20 are still within the last second
    clock.now += 0.51
    assert check(admission, "10.1.0.1:5060") == 0


def test_refusals_say_why() -> None:
    admission = Admission()
    assert check(admission, size=PJSIP_MAX_PKT_LEN) == 513  # the datagram was cut at the buffer size
    assert check(admission, trusted=False) == 403
    assert check(admission, account="") == 404
    refusal = admission.check(source="10.0.0.1:5060", message_bytes=5000, account_id="alice", trusted=True)
    assert refusal is not None and "4000" in refusal.reason and refusal.source == "10.0.0.1:5060"
    assert admission.refused == 4


def test_refused_invites_do_not_use_up_the_budget() -> None:
    admission = Admission(AdmissionLimits(media_invites_per_s=2, invite_burst_per_source=100), Clock())
    for _ in range(50):
        check(admission, trusted=False)
    assert [check(admission), check(admission), check(admission)] == [0, 0, 503]


def test_a_budget_that_could_exhaust_pjsips_sockets_is_refused() -> None:
    with pytest.raises(ValueError, match="64 media sockets"):
        AdmissionLimits(media_invites_per_s=29)
    with pytest.raises(ValueError, match="SIP ioqueue"):
        AdmissionLimits(max_connections=49)


@pytest.mark.parametrize(
    ("message", "method"),
    [
        ("INVITE sip:a@b SIP/2.0\r\n", "INVITE"),
        ("options sip:a@b SIP/2.0", "OPTIONS"),
        ("SIP/2.0 200 OK", ""),
    ],
)
def test_request_method(message: str, method: str) -> None:
    assert request_method(message) == method
