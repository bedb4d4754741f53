"""The incoming-INVITE gate: `Endpoint.onSelectAccount` sends every INVITE that `Admission` refuses
to a quarantine account whose media is a loop transport (no sockets), where it is refused.

Refusals happen on the next turn of the SIP loop, never inside `onIncomingCall`: pjsua2's
`Endpoint::on_incoming_call` frees the INVITE's cloned rdata after the callback returns without
checking it, and an INVITE without SDP that is hung up inside the callback is disconnected at once
(`pjsua_call_on_state_changed` -> `reset_call` frees and clears it), so the process aborts in
`pjsip_rx_data_free_cloned: Assertion 'rdata'`. That is the oversized Content-Type crash: the
datagram is cut at 4000 bytes, the INVITE loses its SDP, and the 403 for a stranger was sent from
inside the callback.
"""

from __future__ import annotations

import itertools
import logging
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.admission import Admission, AdmissionLimits, Refusal, request_method
from earpiece.sip.events import IncomingCallRejected
from earpiece.sip.guard import guarded
from earpiece.sip.text import plain_text, split_name_addr

if TYPE_CHECKING:
    from earpiece.sip.accounts import SipAccount
    from earpiece.sip.interfaces import AccountDirectory, SipContext

log = logging.getLogger(__name__)

QUARANTINE_URI = "sip:quarantine@quarantine.invalid"


class IncomingGate:
    """Owns the admission rules and the quarantine account (created after `libStart`, SIP thread)."""

    def __init__(
        self, ctx: SipContext, accounts: AccountDirectory, limits: AdmissionLimits, udp_transport: int | None
    ) -> None:
        """`udp_transport`: the endpoint's UDP transport id (None: it has none); the quarantine's calls
        are bound to it."""
        self.ctx = ctx
        self.accounts = accounts
        self.admission = Admission(limits)
        self.account = QuarantineAccount(ctx)
        acfg = pj.AccountConfig()
        acfg.idUri = QUARANTINE_URI
        acfg.regConfig.registerOnAdd = False
        acfg.mediaConfig.useLoopMedTp = True  # no RTP/RTCP sockets for calls that will be refused
        if udp_transport is not None:
            # Left free, PJSIP picks the Via of each refused call's dialog by opening a connection
            # towards the caller's Contact when that is a TCP or TLS URI, even for an INVITE that came
            # over UDP: 61 such INVITEs pointing at addresses that never answer held 61 of the SIP
            # ioqueue's 64 keys, and the next connection that closed aborted the process in
            # `pj_ioqueue_register_sock2` (its 500 ms closing keys are not counted as in use).
            acfg.sipConfig.transportId = udp_transport
        acfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_DISABLED
        acfg.natConfig.iceEnabled = False
        self.account.create(acfg, False)

    def select(self, prm: Any) -> None:
        """`onSelectAccount`: leave `prm.accountIndex` (admitted) or point it at the quarantine."""
        try:
            message = str(prm.rdata.wholeMsg)
            if request_method(message) != "INVITE":
                return
            source = str(prm.rdata.srcAddress)
            account = self._account_for(int(prm.accountIndex))
            from_origin = account is not None and any(o.matches(source) for o in account.origins)
            refusal = self.admission.check(
                source=source,
                message_bytes=len(message.encode("utf-8", "surrogateescape")),
                account_id=account.settings.id if account is not None else "",
                trusted=account is not None and account.settings.allow_direct_calls,
                from_origin=from_origin,
            )
        except Exception as error:  # fail closed: an INVITE we could not judge opens no sockets
            log.error("incoming INVITE could not be checked: %s", error)
            refusal = Refusal(500, "Server Internal Error", "incoming call could not be checked", "", "")
        if refusal is not None:
            self.account.pending = refusal
            prm.accountIndex = self.account.getId()

    def _account_for(self, index: int) -> SipAccount | None:
        """The engine's account PJSIP chose; when it chose the quarantine (no better match), the
        account PJSIP would have used without it: the newest, which is its default."""
        accounts = self.accounts.all()
        chosen = next((a for a in accounts if a.isValid() and a.getId() == index), None)
        return chosen if chosen is not None or not accounts else accounts[-1]

    def shutdown(self) -> None:
        """Before `libDestroy`: end the quarantined calls, then delete the account."""
        self.account.end_calls()
        self.ctx.timers.poll_until(lambda: not self.account.calls, 2.0)
        self.account.calls.clear()
        self.account.shutdown()


class QuarantineAccount(pj.Account):
    def __init__(self, ctx: SipContext) -> None:
        super().__init__()
        self.ctx = ctx
        self.pending: Refusal | None = None  # set by the gate just before PJSIP offers the call here
        self.calls: dict[int, RefusedCall] = {}
        self._tokens = itertools.count(1)

    @guarded
    def onIncomingCall(self, prm: Any) -> None:
        refusal, self.pending = self.pending, None
        source = plain_text(str(prm.rdata.srcAddress))
        if refusal is None:  # PJSIP chose this account by itself (e.g. no other account exists)
            refusal = Refusal(404, "Not Found", "no account for this address", "", source)
        token = next(self._tokens)
        call = RefusedCall(self, prm.callId, token)
        self.calls[token] = call
        self.ctx.timers.call_later(0.0, lambda: self._refuse(token, refusal.code, refusal.sip_reason))
        ci = call.getInfo()
        remote_uri = plain_text(split_name_addr(ci.remoteUri)[1])
        self.ctx.events.emit(
            IncomingCallRejected(
                account_id=refusal.account_id,
                remote_uri=remote_uri,
                source=source,
                code=refusal.code,
                reason=refusal.reason,
            )
        )

    def _refuse(self, token: int, code: int, sip_reason: str) -> None:
        call = self.calls.get(token)
        if call is None or not call.isActive():
            return
        op = pj.CallOpParam(True)
        op.statusCode = code
        op.reason = sip_reason
        call.hangup(op)

    def end_calls(self) -> None:
        for token in list(self.calls):
            self._refuse(token, 503, "Service Unavailable")

    def forget(self, token: int) -> None:
        """In the call's DISCONNECTED callback (see `SipCall.onCallState` for why not later)."""
        self.calls.pop(token, None)


class RefusedCall(pj.Call):
    def __init__(self, account: QuarantineAccount, pj_call_id: int, token: int) -> None:
        super().__init__(account, pj_call_id)
        self.quarantine = account
        self.token = token

    @guarded
    def onCallState(self, prm: Any) -> None:
        ci = self.getInfo()
        if ci.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.quarantine.forget(self.token)
