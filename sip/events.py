"""What the SIP engine reports: typed, immutable events delivered to subscribers on the SIP thread.

Every string that came from the remote party (display names, URIs, reasons) has been made plain
text by `earpiece.sip.text.plain_text`: show it as text, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from time import monotonic


class RegistrationState(StrEnum):
    REGISTERING = "registering"
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    FAILED = "failed"


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallState(StrEnum):
    CALLING = "calling"  # outbound INVITE sent
    INCOMING = "incoming"  # inbound, not answered yet
    EARLY = "early"  # ringing / early media
    CONNECTING = "connecting"  # answered, waiting for ACK
    CONFIRMED = "confirmed"  # talking
    DISCONNECTED = "disconnected"


class MediaStatus(StrEnum):
    NONE = "none"
    ACTIVE = "active"
    LOCAL_HOLD = "local_hold"  # we put the call on hold
    REMOTE_HOLD = "remote_hold"  # the other side put us on hold
    ERROR = "error"


class DtmfMethod(StrEnum):
    RFC4733 = "rfc4733"  # RTP telephone-events (RFC 2833/4733)
    SIP_INFO = "sip_info"


class RejectReason(StrEnum):
    BUSY = "busy"  # 486 Busy Here
    DECLINE = "decline"  # 603 Decline


@dataclass(frozen=True, slots=True, kw_only=True)
class SipEvent:
    at: float = field(default_factory=monotonic)


@dataclass(frozen=True, slots=True, kw_only=True)
class RegistrationChanged(SipEvent):
    account_id: str
    state: RegistrationState
    code: int  # SIP status code, 0 when no response was received
    reason: str  # human-readable, e.g. "wrong user name or password (401 Unauthorized)"
    expires_s: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCall(SipEvent):
    call_id: str
    account_id: str
    remote_uri: str
    display_name: str
    auto_answer_in_s: float | None  # the engine answers by itself after this delay


@dataclass(frozen=True, slots=True, kw_only=True)
class IncomingCallRejected(SipEvent):
    """An INVITE refused before it rang: by a security default (not from the registrar/proxy), or by
    PJSIP itself (no acceptable codec or encryption, too many calls)."""

    account_id: str
    remote_uri: str
    source: str  # "ip:port" the INVITE came from
    code: int
    reason: str


# The start of a DISCONNECTED reason when the engine ended a stale call itself (sip/watchdog.py):
# "ended here: no audio received for 30 s", "ended here: answered but no ACK within 6 s".
STALE_CALL_ENDED = "ended here: "


@dataclass(frozen=True, slots=True, kw_only=True)
class CallStateChanged(SipEvent):
    call_id: str
    account_id: str
    direction: CallDirection
    state: CallState
    code: int  # last SIP status code
    reason: str  # human-readable; for DISCONNECTED the end reason
    remote_uri: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CallMediaChanged(SipEvent):
    call_id: str
    status: MediaStatus
    codec: str  # e.g. "G722/16000", "" without media
    encryption: str = ""  # SRTP crypto suite in use, e.g. "AES_CM_128_HMAC_SHA1_80"; "" = not encrypted


@dataclass(frozen=True, slots=True, kw_only=True)
class DtmfReceived(SipEvent):
    call_id: str
    digit: str
    method: DtmfMethod


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferProgress(SipEvent):
    """Progress of a transfer we asked for (NOTIFYs of the REFER's subscription)."""

    call_id: str
    code: int
    reason: str
    final: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class TransferRequestRejected(SipEvent):
    """The remote party asked us (REFER) to call someone; refused by the account's security setting."""

    call_id: str
    target: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AudioDeviceProblem(SipEvent):
    """A headset device is missing or failed; the engine continues without it."""

    device: str
    direction: str  # "input" or "output"
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineStopped(SipEvent):
    reason: str
