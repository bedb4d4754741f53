"""The SIP settings reach the engine: the ACK timeout, the media timeout and the incoming-INVITE
admission limits set in `Settings.sip` are what `EngineConfig.from_settings` gives the engine, and a
running engine built from them behaves by them (SIPp through Kamailio)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from earpiece.core.settings import AccountSettings, Settings, SipSettings
from earpiece.sip.admission import AdmissionLimits
from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallState, CallStateChanged, IncomingCall, IncomingCallRejected
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.peers.sipp import run_sipp
from tests.sip.conftest import running_engine
from tests.sip.helpers import EventLog

ACK_TIMEOUT_S = 1.5
# New calls per second the engine takes. The registrar's INVITEs are held to this shared limit only (the
# per-source burst does not apply to the account's own registrar or proxy: tests/sip/test_admission.py).
NEW_CALLS_PER_S = 2

SIP = SipSettings(
    ack_timeout_s=ACK_TIMEOUT_S,
    media_timeout_s=None,
    media_invites_per_s=NEW_CALLS_PER_S,
    invite_burst_per_source=3,
    invites_per_source_s=0.05,
)


def test_the_sip_settings_become_the_engine_options() -> None:
    config = EngineConfig.from_settings(Settings(sip=SIP))
    assert config.ack_timeout_s == ACK_TIMEOUT_S
    assert config.media_timeout_s is None
    assert config.admission == AdmissionLimits(
        media_invites_per_s=NEW_CALLS_PER_S, invite_burst_per_source=3, invites_per_source_s=0.05
    )


def test_the_defaults_of_settings_and_engine_agree() -> None:
    config = EngineConfig.from_settings(Settings())
    assert config == EngineConfig(
        tls_port=None, stun_servers=(), input_device="", output_device=""
    ), "EngineConfig() and the default settings give different engines"


def test_limits_beyond_the_media_sockets_are_refused_when_the_settings_load() -> None:
    with pytest.raises(ValueError, match="media_invites_per_s"):
        SipSettings(media_invites_per_s=29)
    with pytest.raises(ValueError, match="ack_timeout_s"):
        SipSettings(ack_timeout_s=0)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    """A loopback test engine whose stale-call and admission options come from the settings."""
    config = EngineConfig.from_settings(Settings(sip=SIP))
    options = {
        "ack_timeout_s": config.ack_timeout_s,
        "media_timeout_s": config.media_timeout_s,
        "admission": config.admission,
    }
    yield from running_engine(tmp_path_factory, config=options)


@pytest.mark.peers
def test_an_engine_built_from_settings_keeps_their_ack_timeout_and_new_call_limit(
    engine: SipEngine,
    registered: Callable[..., AccountSettings],
    events: EventLog,
    registrar: Kamailio,
) -> None:
    registered("alice", auto_answer_s=0, display_name="")  # SIPp cannot route to a named Contact
    started = time.monotonic()
    run_sipp("invite_never_acked", registrar.address, calls=NEW_CALLS_PER_S + 1, rate=20, timeout_s=15)
    offered = [e.call_id for e in events.of(IncomingCall)]
    assert len(offered) == NEW_CALLS_PER_S, "the new-call limit from the settings was not applied"
    rejected = events.wait(IncomingCallRejected, timeout=3)
    assert rejected.code == 503 and "too many new calls this second" in rejected.reason, rejected

    def ended(call_id: str) -> CallStateChanged:
        return events.wait(
            CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED, timeout=5
        )

    ends = [ended(call_id) for call_id in offered]
    assert all(f"no ACK within {ACK_TIMEOUT_S:g} s" in e.reason for e in ends), ends
    held_s = max(e.at for e in ends) - started
    assert ACK_TIMEOUT_S <= held_s < ACK_TIMEOUT_S + 2.5, held_s  # the default (6 s) would be later
    assert wait_for(lambda: engine.calls() == [], 2)
