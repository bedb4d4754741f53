"""What the call controller reports to whoever shows or logs calls (the desktop turns these into Qt
signals; `earpiece agent` prints and logs them). Delivered on the controller's asyncio loop."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from earpiece.core.calls.record_format import Outcome
from earpiece.core.engine.events import EngineEvent
from earpiece.core.settings import CallMode

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SessionStarted:
    call_id: str
    mode: CallMode


@dataclass(frozen=True, slots=True)
class SessionEvent:
    """An event of the call's voice session (transcripts, suggestions, turn metrics, speaking)."""

    call_id: str
    mode: CallMode
    event: EngineEvent


class TransferStatus(StrEnum):
    STARTED = "started"  # the REFER went out to `destination`
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # no destination, refused or not reached: the caller hears an apology


@dataclass(frozen=True, slots=True)
class TransferChanged:
    call_id: str
    status: TransferStatus
    destination: str
    detail: str  # STARTED: the conversation so far, for the person taking over; FAILED: why


@dataclass(frozen=True, slots=True)
class CallRecorded:
    call_id: str
    remote_uri: str
    outcome: Outcome
    path: Path


@dataclass(frozen=True, slots=True)
class CallProblem:
    """Something went wrong on a call that the user (or the log) should know."""

    call_id: str
    message: str


ControllerEvent = SessionStarted | SessionEvent | TransferChanged | CallRecorded | CallProblem
Subscriber = Callable[[ControllerEvent], None]


class ControllerEvents:
    """Fan-out to subscribers; one that raises is logged and does not disturb the calls."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: ControllerEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("a call controller subscriber failed on %s", type(event).__name__)
