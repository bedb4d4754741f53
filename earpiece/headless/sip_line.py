"""The SIP engine's events as the call controller's line events (`earpiece.core.calls.line`); the
engine itself is the controller's `CallLine` as it is. Used by `earpiece agent` and the desktop."""

from __future__ import annotations

from earpiece.core.calls.line import (
    CallConnected,
    CallDisconnected,
    CodecChosen,
    DigitPressed,
    LineEvent,
    TransferUpdate,
)
from earpiece.core.calls.line import CallOffered as LineCallOffered
from earpiece.sip.events import (
    STALE_CALL_ENDED,
    CallMediaChanged,
    CallState,
    CallStateChanged,
    DtmfReceived,
    IncomingCall,
    SipEvent,
    TransferProgress,
)


def line_event(event: SipEvent) -> LineEvent | None:
    """The controller's view of `event`; None for events it does not act on."""
    if isinstance(event, IncomingCall):
        return LineCallOffered(event.call_id, event.account_id, event.remote_uri, event.display_name,
                               event.at)
    if isinstance(event, CallStateChanged):
        if event.state is CallState.CONFIRMED:
            return CallConnected(event.call_id, event.account_id, event.remote_uri, event.at)
        if event.state is CallState.DISCONNECTED:
            stale = event.reason.startswith(STALE_CALL_ENDED)
            return CallDisconnected(event.call_id, event.code, event.reason, stale, event.at)
        return None
    if isinstance(event, CallMediaChanged):
        return CodecChosen(event.call_id, event.codec)
    if isinstance(event, DtmfReceived):
        return DigitPressed(event.call_id, event.digit)
    if isinstance(event, TransferProgress):
        return TransferUpdate(event.call_id, event.code, event.reason, event.final)
    return None

