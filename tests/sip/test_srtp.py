"""SRTP (SDES) per account against baresip's `srtp` media encryption module."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from earpiece.sip.engine import SipEngine
from earpiece.sip.events import (
    CallMediaChanged,
    CallState,
    CallStateChanged,
    IncomingCall,
    IncomingCallRejected,
)
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog, dominant_frequency, rms

pytestmark = pytest.mark.peers

SUITE = "AES_CM_128_HMAC_SHA1_80"


def _bob(registrar: Kamailio, encryption: str, source: Path | None = None) -> Baresip:
    return Baresip(
        "bob", USERS["bob"], registrar, media_encryption=encryption, auto_answer=True, source_wav=source
    )


def _registered(peer: Baresip) -> None:
    assert wait_for(lambda: "OK" in peer.command("reginfo")["data"], 5, 0.1), "baresip did not register"


async def _heard(engine: SipEngine, call_id: str, seconds: float) -> bytes:
    stream = engine.call_audio(call_id).frames()
    frames: list[bytes] = []
    deadline = time.monotonic() + seconds
    async for frame in stream:
        frames.append(frame.pcm)
        if time.monotonic() >= deadline:
            break
    await stream.aclose()
    return b"".join(frames[10:])  # skip the jitter buffer's first 200 ms


def _hang_up(engine: SipEngine, events: EventLog, call_id: str) -> None:
    engine.hangup(call_id).result(5)
    events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED, 5)


@pytest.mark.parametrize(("ours", "theirs"), [("mandatory", "srtp-mand"), ("optional", "srtp-mand")])
def test_encrypted_call_carries_audio(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    registrar: Kamailio,
    tone_wav: Callable[[float], Path],
    ours: str,
    theirs: str,
) -> None:
    """baresip offers RTP/SAVP with an SDES key; audio is decrypted here (its 440 Hz tone arrives)."""
    registered("alice", auto_answer_s=0, srtp=ours)
    with _bob(registrar, theirs, tone_wav(440)) as bob:
        _registered(bob)
        bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
        call_id = events.wait(IncomingCall, timeout=5).call_id
        media = events.wait(CallMediaChanged, lambda e: e.call_id == call_id and bool(e.codec), 5)
        assert media.encryption == SUITE
        assert bob.wait_event("CALL_MENC", timeout=5)["param"].endswith(f"audio,{SUITE}")
        incoming = asyncio.run(_heard(engine, call_id, 1.0))
        _hang_up(engine, events, call_id)
    assert rms(incoming) > 1000 and abs(dominant_frequency(incoming) - 440) < 15


def test_optional_srtp_encrypts_with_a_peer_that_can_and_not_with_one_that_cannot(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", srtp="optional")
    for encryption, expected in (("srtp", SUITE), ("", "")):
        with _bob(registrar, encryption) as bob:
            _registered(bob)
            call_id = engine.make_call("alice", "bob").result(5)
            def negotiated(e: CallMediaChanged, call_id: str = call_id) -> bool:
                return e.call_id == call_id and bool(e.codec)

            media = events.wait(CallMediaChanged, negotiated, 5)
            assert media.encryption == expected
            bob.wait_event("CALL_ESTABLISHED", timeout=5)
            if expected:
                bob.wait_event("CALL_MENC", timeout=1)
            else:
                assert not any(e.get("type") == "CALL_MENC" for e in bob.events)
            _hang_up(engine, events, call_id)


def test_mandatory_srtp_refuses_a_peer_without_encryption_both_ways(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0, srtp="mandatory")
    with _bob(registrar, "") as bob:
        _registered(bob)
        # Outbound: our RTP/SAVP offer is refused by the plain peer.
        call_id = engine.make_call("alice", "bob").result(5)
        ended = events.wait(
            CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED, 5
        )
        assert ended.code == 488 and ended.reason.startswith("call settings not acceptable")
        # Inbound: PJSIP refuses the plain offer before it rings, and says why.
        since = bob.event_count()
        bob.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
        refused = events.wait(IncomingCallRejected, timeout=5)
        assert refused.account_id == "alice" and refused.code == 488
        assert "offered no encryption (SRTP), which this account requires" in refused.reason
        assert "488" in bob.wait_event("CALL_CLOSED", timeout=5, since=since)["param"]
    assert not events.of(IncomingCall)
