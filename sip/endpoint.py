"""The pjsua2 `Endpoint` subclass and log writer of `SipEngine` (SIP thread, except the log writer)."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.guard import guarded
from earpiece.sip.text import plain_text

if TYPE_CHECKING:
    from earpiece.sip.engine import SipEngine

log = logging.getLogger("earpiece.sip.engine")


class EngineEndpoint(pj.Endpoint):
    def __init__(self, engine: SipEngine) -> None:
        super().__init__()
        self._engine = weakref.ref(engine)

    @guarded
    def onTransportState(self, prm: Any) -> None:
        engine = self._engine()
        if engine is None:
            return
        tls = prm.tlsInfo
        if not tls.isEmpty() and tls.verifyStatus != 0:
            engine._tls_rejection = "; ".join(plain_text(str(m)) for m in tls.verifyMsgs) or "not verified"
        if prm.state == pj.PJSIP_TP_STATE_DISCONNECTED:
            engine._on_transport_down()

    def onSelectAccount(self, prm: Any) -> None:
        """An out-of-dialog request arrived; for an INVITE, before any media is allocated for it.
        Untrusted, oversized or over-rate INVITEs go to the quarantine account (no RTP sockets)."""
        engine = self._engine()
        gate = engine._gate if engine is not None else None
        if gate is not None:
            gate.select(prm)

    @guarded
    def onRejectedIncomingCall(self, prm: Any) -> None:
        """PJSIP refused an INVITE before offering it (no common codec or SRTP, too many calls)."""
        engine = self._engine()
        if engine is None:
            return
        try:
            source = str(prm.rdata.srcAddress)
        except Exception:
            source = ""
        engine._rejected_by_pjsip(
            int(prm.statusCode), str(prm.reason), str(prm.localInfo), str(prm.remoteInfo), source
        )


class PjsipLogWriter(pj.LogWriter):
    """PJSIP's log lines into Python logging (may run on any PJSIP thread)."""

    def write(self, entry: Any) -> None:
        try:
            level = (
                logging.ERROR if entry.level <= 1 else logging.WARNING if entry.level == 2 else logging.DEBUG
            )
            log.log(level, "pjsip: %s", entry.msg.rstrip())
        except Exception:  # never let anything escape into PJSIP
            pass
