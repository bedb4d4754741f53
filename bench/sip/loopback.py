"""The SIP engine every benchmark process uses: UDP on a free 127.0.0.1 port, no sound devices."""

from __future__ import annotations

from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine


def loopback_engine() -> SipEngine:
    config = EngineConfig(
        bind_address="127.0.0.1",
        udp_port=0,
        tcp_port=None,
        input_device="none",
        output_device="none",
        pjsip_log_level=1,
    )
    return SipEngine(config, history=None)
