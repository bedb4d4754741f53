"""One pjsua2 account: configuration from `AccountSettings`, registration with backoff, incoming calls."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.core.settings import AccountSettings, SrtpPolicy
from earpiece.sip.calls import SipCall, call_op, later
from earpiece.sip.config import EngineConfig
from earpiece.sip.events import (
    CallDirection,
    IncomingCall,
    RegistrationChanged,
    RegistrationState,
)
from earpiece.sip.guard import guarded
from earpiece.sip.reasons import registration_reason
from earpiece.sip.text import plain_text
from earpiece.sip.uris import Origin, registrar_uri, trusted_origins, with_transport

if TYPE_CHECKING:
    from earpiece.sip.interfaces import PjsipStatus, SipContext

_SRTP = {
    SrtpPolicy.OFF: pj.PJMEDIA_SRTP_DISABLED,
    SrtpPolicy.OPTIONAL: pj.PJMEDIA_SRTP_OPTIONAL,
    SrtpPolicy.MANDATORY: pj.PJMEDIA_SRTP_MANDATORY,
}
# A registration that failed because the server certificate did not verify comes back as a made-up
# 503 whose reason is PJSIP's error text for PJSIP_TLS_ECERTVERIF (prm.status stays 0).
_TLS_CERT_NOT_VERIFIED = "PJSIP_TLS_ECERTVERIF"
# Final answers that retrying cannot fix (credentials, unknown user, refused): the engine does not
# retry them and waits for the user to change the account.
REGISTRATION_NOT_RETRIED: frozenset[int] = frozenset({401, 403, 404, 407, 423, 484, 603})


def registration_refused(event: RegistrationChanged) -> bool:
    """A failed registration that the engine will not retry (credentials, unknown user, refused)."""
    return event.state is RegistrationState.FAILED and event.code in REGISTRATION_NOT_RETRIED


def _quoted(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def account_config(settings: AccountSettings, password: str, config: EngineConfig, transport_id: int) -> Any:
    acfg = pj.AccountConfig()
    address = f"sip:{settings.username}@{settings.domain}"
    acfg.idUri = f"{_quoted(settings.display_name)} <{address}>" if settings.display_name else address
    acfg.sipConfig.transportId = transport_id
    if settings.proxy:
        acfg.sipConfig.proxies.append(with_transport(settings.proxy, settings.transport))
    acfg.sipConfig.authCreds.append(pj.AuthCredInfo("digest", "*", settings.username, 0, password))
    reg = acfg.regConfig
    reg.registrarUri = registrar_uri(settings) if settings.registration else ""
    reg.registerOnAdd = settings.registration
    reg.timeoutSec = config.reg_expires_s
    reg.delayBeforeRefreshSec = max(1, min(5, config.reg_expires_s // 3))
    reg.retryIntervalSec = 0  # the engine retries with its own backoff
    reg.firstRetryIntervalSec = 0
    reg.randomRetryIntervalSec = 0
    reg.unregWaitMsec = 1000
    media = acfg.mediaConfig
    media.srtpUse = _SRTP[settings.srtp]
    media.srtpSecureSignaling = 0
    media.transportConfig.port = 0
    if config.bind_address not in ("", "0.0.0.0"):
        media.transportConfig.boundAddress = config.bind_address
    acfg.natConfig.iceEnabled = False
    return acfg


class SipAccount(pj.Account):
    def __init__(
        self, ctx: SipContext, status: PjsipStatus, config: EngineConfig, settings: AccountSettings
    ) -> None:
        """`status`: the endpoint, which explains failed transports and refused certificates."""
        super().__init__()
        self.ctx = ctx
        self.status = status
        self.config = config
        self.settings = settings
        self.origins: list[Origin] = trusted_origins(settings)
        self.state = RegistrationState.UNREGISTERED
        self.retry_delay = config.reg_retry_min_s
        self.retry_timer: int | None = None
        self.unregistering = False

    # -- registration ------------------------------------------------------------------------------
    @guarded
    def onRegStarted(self, prm: Any) -> None:
        self.unregistering = not prm.renew
        if prm.renew and self.state is not RegistrationState.REGISTERED:
            self._set_state(RegistrationState.REGISTERING, 0, "registering")

    @guarded
    def onRegState(self, prm: Any) -> None:
        code, sip_reason = int(prm.code), plain_text(prm.reason)
        transport_error = certificate_problem = ""
        answered = bool(prm.rdata.wholeMsg)  # False: PJSIP made the status up (no response arrived)
        if not answered and code != 408 and not 200 <= code < 300:
            transport_error = sip_reason or plain_text(self.status.error_text(prm.status))
            if _TLS_CERT_NOT_VERIFIED in transport_error:
                certificate_problem = self.status.tls_rejection or transport_error
        if self.unregistering and (200 <= code < 300 or transport_error or code == 0):
            self._set_state(RegistrationState.UNREGISTERED, code, "unregistered")
            return
        if 200 <= code < 300 and prm.expiration > 0:
            self.retry_delay = self.config.reg_retry_min_s
            self._set_state(RegistrationState.REGISTERED, code, "registered", int(prm.expiration))
            return
        reason = registration_reason(code, sip_reason, transport_error, certificate_problem)
        if code not in REGISTRATION_NOT_RETRIED:
            reason += f"; retrying in {self.retry_delay:g} s"
            self._schedule_retry()
        self._set_state(RegistrationState.FAILED, code, reason)

    def _set_state(self, state: RegistrationState, code: int, reason: str, expires: int = 0) -> None:
        self.state = state
        self.ctx.events.emit(
            RegistrationChanged(
                account_id=self.settings.id, state=state, code=code, reason=reason, expires_s=expires
            )
        )

    def _schedule_retry(self) -> None:
        self.cancel_retry()
        delay = self.retry_delay
        self.retry_delay = min(self.retry_delay * 2, self.config.reg_retry_max_s)
        self.retry_timer = self.ctx.timers.call_later(delay, self._retry)

    def cancel_retry(self) -> None:
        if self.retry_timer is not None:
            self.ctx.timers.cancel(self.retry_timer)
            self.retry_timer = None

    def _retry(self) -> None:
        self.retry_timer = None
        if self.settings.registration and self.isValid():
            self.setRegistration(True)

    def unregister(self) -> bool:
        """Send an un-REGISTER if registered. False: nothing to wait for (the state is then final)."""
        if self.state is not RegistrationState.REGISTERED:
            return False
        try:
            self.setRegistration(False)
        except pj.Error:  # no registration session left (PJ_EINVALIDOP): nothing to undo
            self.mark_unregistered()
            return False
        return True

    def mark_unregistered(self) -> None:
        """PJSIP dropped the registration session without a callback (e.g. `modify` without registrar)."""
        if self.state is not RegistrationState.UNREGISTERED:
            self._set_state(RegistrationState.UNREGISTERED, 0, "unregistered")

    def refresh_after_transport_loss(self) -> None:
        """The connection to the registrar dropped: re-register now (and back off if that fails)."""
        if self.settings.registration and self.state is RegistrationState.REGISTERED:
            self._set_state(
                RegistrationState.REGISTERING, 0, "connection to the registrar lost; re-registering"
            )
            self.retry_timer = self.ctx.timers.call_later(0.2, self._retry)

    # -- incoming calls ----------------------------------------------------------------------------
    @guarded
    def onIncomingCall(self, prm: Any) -> None:
        call = SipCall(self.ctx, self, CallDirection.INBOUND, prm.callId)
        self.ctx.calls.adopt(call)
        call.read_remote()
        # Direct calls from strangers, oversized and over-rate INVITEs never get here: the gate
        # (sip/quarantine.py) sends them to the quarantine account before PJSIP opens RTP sockets.
        # Nothing here may end the call synchronously (see there: an INVITE without SDP would abort).
        call.answer(call_op(180))
        delay = self.settings.auto_answer_s
        self.ctx.events.emit(
            IncomingCall(
                call_id=call.call_id,
                account_id=self.settings.id,
                remote_uri=call.remote_uri,
                display_name=call.display_name,
                auto_answer_in_s=delay,
            )
        )
        if delay is not None:
            later(self.ctx, max(0.0, delay), call.call_id, SipCall.answer_if_ringing)
