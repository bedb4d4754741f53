"""The pjsua2 `Endpoint` of `SipEngine`, its configuration, and the log writer (the endpoint runs on
the SIP thread; the log writer on any PJSIP thread)."""

from __future__ import annotations

import logging
import weakref
from typing import TYPE_CHECKING, Any, Protocol

import pjsua2 as pj

from earpiece.sip.config import EngineConfig
from earpiece.sip.connections import ConnectionCap, opened_here
from earpiece.sip.guard import guarded
from earpiece.sip.repeated_warning import RepeatedWarning
from earpiece.sip.text import plain_text

if TYPE_CHECKING:
    from earpiece.sip.quarantine import IncomingGate

log = logging.getLogger("earpiece.sip.engine")

_CODEC_PRIORITY = {"G722/16000/1": 255, "PCMU/8000/1": 254, "PCMA/8000/1": 253}  # all others off


class EndpointListener(Protocol):
    """Who hears what the endpoint reports about accounts (`AccountTable`)."""

    gate: IncomingGate | None

    def transport_lost(self) -> None:
        """A TCP or TLS connection this process opened dropped (it may have been to a registrar)."""

    def rejected_by_pjsip(self, code: int, sip_reason: str, local: str, remote: str, source: str) -> None: ...


class EngineEndpoint(pj.Endpoint):
    """Implements `PjsipStatus` for the accounts. Holds its listener weakly: nothing that the endpoint
    keeps alive may hold the endpoint (it must be destroyed on the SIP thread, after libDestroy)."""

    def __init__(self, listener: EndpointListener, connections: ConnectionCap) -> None:
        super().__init__()
        self._listener = weakref.ref(listener)
        self.connections = connections
        self._refusal_warning = RepeatedWarning(log, "SIP connections refused")
        # Why the last server certificate was refused, e.g. "The certificate is untrusted".
        self.tls_rejection = ""

    def error_text(self, status: int) -> str:
        try:
            return str(self.utilStrError(status))
        except Exception:
            return f"status {status}"

    @guarded
    def onTransportState(self, prm: Any) -> None:
        handle = int(prm.hnd)
        if prm.state == pj.PJSIP_TP_STATE_CONNECTED:
            if not self.connections.connected(handle):
                self._refusal_warning("SIP connection refused: %d connections alive", self.connections.alive)
                self.transportShutdown(prm.hnd)
                return
        elif prm.state == pj.PJSIP_TP_STATE_DESTROY:
            self.connections.destroyed(handle)
        else:
            self.connections.changed(handle)
        tls = prm.tlsInfo
        if not tls.isEmpty() and tls.verifyStatus != 0:
            self.tls_rejection = "; ".join(plain_text(str(m)) for m in tls.verifyMsgs) or "not verified"
        # Only a connection this process opened can be an account's way to its registrar: a stranger's
        # disconnect re-registered every TCP/TLS account, and a connection flood became a REGISTER flood.
        listener = self._listener()
        if prm.state == pj.PJSIP_TP_STATE_DISCONNECTED and listener is not None and opened_here(handle):
            listener.transport_lost()

    def onSelectAccount(self, prm: Any) -> None:
        """An out-of-dialog request arrived; for an INVITE, before any media is allocated for it.
        Untrusted, oversized or over-rate INVITEs go to the quarantine account (no RTP sockets)."""
        listener = self._listener()
        gate = listener.gate if listener is not None else None
        if gate is not None:
            gate.select(prm)

    @guarded
    def onRejectedIncomingCall(self, prm: Any) -> None:
        """PJSIP refused an INVITE before offering it (no common codec or SRTP, too many calls)."""
        listener = self._listener()
        if listener is None:
            return
        try:
            source = str(prm.rdata.srcAddress)
        except Exception:
            source = ""
        listener.rejected_by_pjsip(
            int(prm.statusCode), str(prm.reason), str(prm.localInfo), str(prm.remoteInfo), source
        )


def endpoint_config(cfg: EngineConfig, log_writer: Any) -> Any:
    """`libInit`'s configuration: one thread (ours), polling, 16 kHz 20 ms audio, no VAD or echo
    canceller, the jitter buffer tuned for low delay."""
    ep_cfg = pj.EpConfig()
    ep_cfg.uaConfig.threadCnt = 0
    ep_cfg.uaConfig.mainThreadOnly = True
    ep_cfg.uaConfig.userAgent = cfg.user_agent
    ep_cfg.uaConfig.maxCalls = cfg.max_calls
    ep_cfg.logConfig.writer = log_writer
    ep_cfg.logConfig.level = cfg.pjsip_log_level
    ep_cfg.logConfig.consoleLevel = cfg.pjsip_log_level
    ep_cfg.logConfig.decor = 0
    media = ep_cfg.medConfig
    media.clockRate = 16000
    media.sndClockRate = 16000
    media.audioFramePtime = 20
    media.ptime = 20
    media.noVad = True
    media.ecTailLen = 0
    media.jbInit = cfg.jb_init_ms
    media.jbMinPre = cfg.jb_min_pre_ms
    media.jbMaxPre = cfg.jb_max_pre_ms
    media.jbMax = cfg.jb_max_ms
    return ep_cfg


def prefer_codecs(ep: Any) -> None:
    """G.722 first, then PCMU and PCMA; every other codec off."""
    for codec in ep.codecEnum2():
        ep.codecSetPriority(codec.codecId, _CODEC_PRIORITY.get(codec.codecId, 0))


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
