"""What accounts, calls, the watchdog and the INVITE gate may use of the engine: small protocols, put
together in a `SipContext`. All of them are used on the SIP thread only.

`SipEngine` implements them with `SipLoop` (timers, polling), `EventBus` (events), `CallTable` (the
call registry and history) and `HeadsetSwitch` (the headset calls connect to).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from earpiece.sip.events import SipEvent

if TYPE_CHECKING:
    from earpiece.sip.accounts import SipAccount
    from earpiece.sip.calls import SipCall
    from earpiece.sip.headset import Headset
    from earpiece.sip.records import CallRecord


class EventPublisher(Protocol):
    def emit(self, event: SipEvent) -> None:
        """Deliver `event` to the engine's subscribers now."""


class Scheduler(Protocol):
    def call_later(self, delay: float, fn: Callable[[], None]) -> int:
        """Run `fn` on the SIP thread after `delay` seconds; returns a timer id. Keep ids, never pjsua2
        objects, in `fn`: a timer may outlive what it refers to."""

    def cancel(self, timer_id: int) -> None: ...

    def poll_until(self, condition: Callable[[], bool], timeout: float) -> None:
        """Let PJSIP handle events (and timers run) until `condition()` or `timeout`."""


class CallRegistry(Protocol):
    def adopt(self, call: SipCall) -> None:
        """Keep a new call (dropping a pjsua2 `Call` hangs it up) and publish its audio."""

    def forget(self, call_id: str) -> None:
        """Drop a call; only in its DISCONNECTED callback or after it ended (see `SipCall.onCallState`)."""

    def find(self, call_id: str) -> SipCall | None: ...

    def live(self) -> list[SipCall]:
        """Calls not yet disconnected."""

    def record(self, record: CallRecord) -> None:
        """Save an ended call in the call history (errors are logged, never raised)."""


class HeadsetSource(Protocol):
    @property
    def current(self) -> Headset | None:
        """The agent's headset now (None: no device); it may change during a call."""


class AccountDirectory(Protocol):
    def all(self) -> list[SipAccount]:
        """The engine's accounts, oldest first."""


class PjsipStatus(Protocol):
    """What the endpoint knows about failed transports (implemented by `EngineEndpoint`)."""

    tls_rejection: str  # why the last server certificate was refused, e.g. "The certificate is untrusted"

    def error_text(self, status: int) -> str: ...


@dataclass(frozen=True, slots=True)
class SipContext:
    """What a call, an account, the watchdog and the gate get instead of the whole engine."""

    events: EventPublisher
    timers: Scheduler
    calls: CallRegistry
    headset: HeadsetSource
