"""The SIP engine every benchmark process uses: UDP on a free 127.0.0.1 port, no sound devices."""

from __future__ import annotations

import threading

from earpiece.sip.config import EngineConfig
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallState, CallStateChanged, SipEvent


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


class AnsweredCalls:
    """The ids of the calls an engine has seen answered (CONFIRMED), to wait for one of them."""

    def __init__(self, engine: SipEngine) -> None:
        self._ids: set[str] = set()
        self._changed = threading.Condition()
        engine.subscribe(self._on_event)

    def _on_event(self, event: SipEvent) -> None:
        if isinstance(event, CallStateChanged) and event.state is CallState.CONFIRMED:
            with self._changed:
                self._ids.add(event.call_id)
                self._changed.notify_all()

    def wait(self, call_id: str, timeout: float) -> bool:
        """True once `call_id` is answered; False if it is not within `timeout` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: call_id in self._ids, timeout)
