"""One pjsua2 call: state, media wiring, DTMF and transfer callbacks (SIP thread only)."""

from __future__ import annotations

import re
import time
import uuid
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.bridge_port import BridgePort, destroy_port
from earpiece.sip.call_audio import CallAudio
from earpiece.sip.events import (
    STALE_CALL_ENDED,
    CallDirection,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfMethod,
    DtmfReceived,
    MediaStatus,
    TransferProgress,
    TransferRequestRejected,
)
from earpiece.sip.guard import guarded
from earpiece.sip.reasons import call_end_reason
from earpiece.sip.records import CallRecord
from earpiece.sip.text import plain_text, split_name_addr

if TYPE_CHECKING:
    from earpiece.sip.accounts import SipAccount
    from earpiece.sip.headset import Headset
    from earpiece.sip.interfaces import SipContext

_STATES = {
    pj.PJSIP_INV_STATE_NULL: CallState.CALLING,
    pj.PJSIP_INV_STATE_CALLING: CallState.CALLING,
    pj.PJSIP_INV_STATE_INCOMING: CallState.INCOMING,
    pj.PJSIP_INV_STATE_EARLY: CallState.EARLY,
    pj.PJSIP_INV_STATE_CONNECTING: CallState.CONNECTING,
    pj.PJSIP_INV_STATE_CONFIRMED: CallState.CONFIRMED,
    pj.PJSIP_INV_STATE_DISCONNECTED: CallState.DISCONNECTED,
}
_MEDIA = {
    pj.PJSUA_CALL_MEDIA_NONE: MediaStatus.NONE,
    pj.PJSUA_CALL_MEDIA_ACTIVE: MediaStatus.ACTIVE,
    pj.PJSUA_CALL_MEDIA_LOCAL_HOLD: MediaStatus.LOCAL_HOLD,
    pj.PJSUA_CALL_MEDIA_REMOTE_HOLD: MediaStatus.REMOTE_HOLD,
    pj.PJSUA_CALL_MEDIA_ERROR: MediaStatus.ERROR,
}
REPLACES_GRACE_S = 1.0
_SRTP_ACTIVE = re.compile(r"SRTP status: Active Crypto-suite: (\S+)")
_DTMF_METHODS = {
    pj.PJSUA_DTMF_METHOD_RFC2833: DtmfMethod.RFC4733,
    pj.PJSUA_DTMF_METHOD_SIP_INFO: DtmfMethod.SIP_INFO,
}


def later(ctx: SipContext, delay: float, call_id: str, action: Callable[[SipCall], None]) -> None:
    """Run `action(call)` after `delay` s if the call is still known (timers hold ids, never calls)."""

    def run() -> None:
        call = ctx.calls.find(call_id)
        if call is not None:
            action(call)

    ctx.timers.call_later(delay, run)


def call_op(code: int = 0) -> Any:
    """pjsua2's `CallOpParam` with defaults, and a status code when one is given."""
    prm = pj.CallOpParam(True)
    if code:
        prm.statusCode = code
    return prm


class SipCall(pj.Call):
    def __init__(
        self,
        ctx: SipContext,
        account: SipAccount,
        direction: CallDirection,
        pj_call_id: int = pj.PJSUA_INVALID_ID,
    ) -> None:
        super().__init__(account, pj_call_id)
        self.ctx = ctx
        # A weak reference: a pjsua2 Account destroyed late (after its slot was reused) would delete
        # the new account that took its id.
        self._account = weakref.ref(account)
        self.settings = account.settings
        self.call_id = uuid.uuid4().hex[:12]
        self.direction = direction
        self.audio = CallAudio(self.call_id)
        self.port: BridgePort | None = None
        self.agent_port: BridgePort | None = None  # the agent's side: headset microphone in, whisper out
        self.media: list[Any] = []  # AudioMedia objects currently wired to the port
        self.muted = False
        self.local_hangup = False
        self.remote_uri = ""
        self.display_name = ""
        self.state = CallState.INCOMING if direction is CallDirection.INBOUND else CallState.CALLING
        self.media_status = MediaStatus.NONE
        self.started_at = time.time()
        self.answered_at: float | None = None
        self.recorded = False
        self.transferred = False  # ended because a transfer we asked for succeeded
        self.stale_reason = ""  # ended by the stale-call watchdog, and why
        # Attended transfer: our call with the transfer target, ended once the transfer succeeds.
        self.consultation_call_id: str | None = None

    def read_remote(self) -> None:
        ci = self.getInfo()
        self.display_name, self.remote_uri = split_name_addr(ci.remoteUri)

    # -- state -------------------------------------------------------------------------------------
    @guarded
    def onCallState(self, prm: Any) -> None:
        ci = self.getInfo()
        state = _STATES.get(ci.state, CallState.CALLING)
        code, sip_reason = int(ci.lastStatusCode), plain_text(ci.lastReason)
        if not self.remote_uri:
            self.display_name, self.remote_uri = split_name_addr(ci.remoteUri)
        if state is CallState.CONFIRMED and self.answered_at is None:
            self.answered_at = time.time()
        self.state = state
        if state is CallState.DISCONNECTED:
            reason = self._end_reason(code, sip_reason)
            self._finish(code, reason)
        else:
            reason = sip_reason or state.value
        self.ctx.events.emit(
            CallStateChanged(
                call_id=self.call_id,
                account_id=self.settings.id,
                direction=self.direction,
                state=state,
                code=code,
                reason=reason,
                remote_uri=self.remote_uri,
            )
        )
        if state is CallState.DISCONNECTED:
            # Dropped now, while PJSIP's call slot is still this call's (pjsua2 allows deleting a call
            # in its DISCONNECTED callback). Dropped later, after the slot went to a new call,
            # `Call::~Call` would clear the new call's user data and hang it up (603).
            self.ctx.calls.forget(self.call_id)

    def _end_reason(self, code: int, sip_reason: str) -> str:
        if self.transferred:
            return "transferred"
        if self.stale_reason:
            return STALE_CALL_ENDED + self.stale_reason
        if self.answered_at is not None and code in (0, 200):
            return "hung up here" if self.local_hangup else "hung up by the other party"
        if self.local_hangup and code in (487, 603, 486) and self.answered_at is None:
            return "cancelled here" if self.direction is CallDirection.OUTBOUND else "rejected here"
        return call_end_reason(code, sip_reason)

    def _finish(self, code: int, reason: str) -> None:
        self.release_media()
        if not self.recorded:
            self.recorded = True
            self.ctx.calls.record(
                CallRecord(
                    call_id=self.call_id,
                    account_id=self.settings.id,
                    direction=self.direction,
                    remote_uri=self.remote_uri,
                    display_name=self.display_name,
                    started_at=self.started_at,
                    answered_at=self.answered_at,
                    ended_at=time.time(),
                    end_code=code,
                    end_reason=reason,
                )
            )

    def hang_up_here(self, code: int = 0) -> None:
        """End the call from our side (`code` 0: PJSIP's choice for the state, e.g. CANCEL or BYE)."""
        self.local_hangup = True
        self.hangup(call_op(code))

    def answer_if_ringing(self) -> None:
        if self.state in (CallState.INCOMING, CallState.EARLY):
            self.answer(call_op(200))

    def end_transferred(self) -> None:
        """After a successful transfer our leg (and an attended transfer's consultation) is done."""
        if self.state is not CallState.DISCONNECTED:
            self.transferred = True
            self.hang_up_here()

    def end_as_stale(self, why: str) -> None:
        """Hang up a call the watchdog found stale (no ACK, or no incoming audio)."""
        self.stale_reason = why
        # 408 as the cause also makes PJSIP send the BYE of an unacknowledged call now: with any other
        # it keeps the BYE until the ACK comes (sip_inv.c, pjsip_inv_send_msg; pjproject issue 1712).
        self.hang_up_here(408)

    # -- media -------------------------------------------------------------------------------------
    @guarded
    def onCallMediaState(self, prm: Any) -> None:
        ci = self.getInfo()
        status, codec = MediaStatus.NONE, ""
        self.unwire()
        for mi in ci.media:
            if mi.type != pj.PJMEDIA_TYPE_AUDIO:
                continue
            status = _MEDIA.get(mi.status, MediaStatus.ERROR)
            if mi.status in (pj.PJSUA_CALL_MEDIA_ACTIVE, pj.PJSUA_CALL_MEDIA_REMOTE_HOLD):
                self.wire(self.getAudioMedia(mi.index))
                codec = self._codec(mi.index)
            break
        self.media_status = status
        encryption = self._srtp_suite() if codec else ""
        self.ctx.events.emit(
            CallMediaChanged(call_id=self.call_id, status=status, codec=codec, encryption=encryption)
        )

    def _codec(self, index: int) -> str:
        try:
            si = self.getStreamInfo(index)
            return f"{si.codecName}/{si.codecClockRate}"
        except pj.Error:
            return ""

    def _srtp_suite(self) -> str:
        """The active SRTP crypto suite, "" when the audio is not encrypted. pjsua2 2.15 shows the
        negotiated SRTP state only in the call dump (pjsua_dump.c: "SRTP status: Active Crypto-suite: X")."""
        try:
            match = _SRTP_ACTIVE.search(str(self.dump(True, "")))
        except pj.Error:
            return ""
        return match.group(1) if match else ""

    def wire(self, media: Any) -> None:
        if self.state is CallState.DISCONNECTED:
            return  # media released; a new port here would be dropped without `destroy_port`
        headset = self.ctx.headset.current
        if self.port is None:
            self.port = BridgePort(self.audio, f"call-{self.call_id}")
            self._connect_agent(headset)
        media.startTransmit(self.port)
        self.port.startTransmit(media)
        media.adjustRxLevel(0.0 if self.muted else 1.0)
        self.media.append(media)
        if headset is not None:
            headset.attach(media)

    def use_headset(self, headset: Headset | None) -> None:
        """The headset changed (the old one was detached and closed, its links went with it): connect
        the call's audio and its agent side to `headset`; None = there is none now."""
        self._connect_agent(headset)
        if headset is not None and self.state is not CallState.DISCONNECTED:
            for media in self.media:
                headset.attach(media)

    def _connect_agent(self, headset: Headset | None) -> None:
        """The agent's side of the call (from its first media until it ends, hold included)."""
        if headset is None or self.port is None or self.state is CallState.DISCONNECTED:
            self.audio.agent.sink.disconnect()
            return
        if self.agent_port is None:
            self.agent_port = BridgePort(self.audio.agent, f"agent-{self.call_id}")
        self.audio.agent.sink.connected = headset.connect_agent(self.agent_port)

    def unwire(self) -> None:
        headset = self.ctx.headset.current
        for media in self.media:
            try:
                if headset is not None:
                    headset.detach(media)
                if self.port is not None:
                    media.stopTransmit(self.port)
                    self.port.stopTransmit(media)
            except pj.Error:
                pass  # the stream is already gone (hold, re-INVITE, hang-up)
        self.media = []

    def release_media(self) -> None:
        """The call is over: disconnect and destroy its bridge ports, end its frame streams."""
        self.unwire()
        self.audio.agent.sink.disconnect()
        for port in (self.port, self.agent_port):
            if port is not None:
                destroy_port(port)
        self.port = self.agent_port = None
        self.audio._close()

    def set_mute(self, muted: bool) -> None:
        """Mute what the remote party hears (headset microphone and reply audio alike)."""
        self.muted = muted
        for media in self.media:
            media.adjustRxLevel(0.0 if muted else 1.0)

    # -- DTMF and transfer ---------------------------------------------------------------------------
    @guarded
    def onDtmfDigit(self, prm: Any) -> None:
        method = _DTMF_METHODS.get(prm.method, DtmfMethod.RFC4733)
        digit = plain_text(str(prm.digit), limit=1)
        self.ctx.events.emit(DtmfReceived(call_id=self.call_id, digit=digit, method=method))

    @guarded
    def onCallTransferRequest(self, prm: Any) -> None:
        target = plain_text(prm.dstUri)
        if not self.settings.allow_transfer_requests:
            prm.statusCode = 603
            self.ctx.events.emit(TransferRequestRejected(call_id=self.call_id, target=target))
            return
        account = self._account()
        if account is None:
            prm.statusCode = 603
            return
        new_call = SipCall(self.ctx, account, CallDirection.OUTBOUND)
        new_call.remote_uri = target
        self.ctx.calls.adopt(new_call)
        prm.newCall = new_call

    @guarded
    def onCallTransferStatus(self, prm: Any) -> None:
        code, final = int(prm.statusCode), bool(prm.finalNotify)
        prm.cont = not final
        self.ctx.events.emit(
            TransferProgress(call_id=self.call_id, code=code, reason=plain_text(prm.reason), final=final)
        )
        if not (final and 200 <= code < 300):
            return
        later(self.ctx, 0.0, self.call_id, SipCall.end_transferred)
        consultation = self.consultation_call_id
        if consultation is not None:
            # A target that supports Replaces (RFC 3891) ends our consultation call itself; one that does
            # not (baresip 1.0 answers 420 to `Require: replaces`, so transferees like baresip send a
            # plain INVITE) would keep it open next to the transferred call: end it after a grace.
            later(self.ctx, REPLACES_GRACE_S, consultation, SipCall.end_transferred)

    @guarded
    def onCallReplaced(self, prm: Any) -> None:
        """An attended transfer made by the remote side replaced this call by a new one."""
        account = self._account()
        if account is None:
            return
        new_call = SipCall(self.ctx, account, self.direction, prm.newCallId)
        new_call.read_remote()
        self.ctx.calls.adopt(new_call)
        prm.newCall = new_call
