"""The engine's calls: the pjsua2 `Call` objects (SIP thread) and their audio (readable from any thread).
It is the `CallRegistry` that accounts and calls use, and what the engine's call commands look up."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from earpiece.sip.call_audio import CallAudio
from earpiece.sip.errors import UnknownCallError
from earpiece.sip.events import CallDirection, CallState, MediaStatus
from earpiece.sip.records import CallHistory, CallRecord

if TYPE_CHECKING:
    from earpiece.sip.calls import SipCall
    from earpiece.sip.interfaces import Scheduler

log = logging.getLogger("earpiece.sip.engine")


@dataclass(frozen=True, slots=True)
class CallSummary:
    call_id: str
    account_id: str
    direction: CallDirection
    state: CallState
    remote_uri: str
    display_name: str
    media_status: MediaStatus
    muted: bool


class CallTable:
    def __init__(self, history: Callable[[], CallHistory]) -> None:
        """`history()` gives the call history (opened when the first call ends)."""
        self._history = history
        self._calls: dict[str, SipCall] = {}  # SIP thread
        self._lock = threading.Lock()
        self._audio: dict[str, CallAudio] = {}  # any thread, under the lock

    # -- CallRegistry (SIP thread) ---------------------------------------------------------------------
    def adopt(self, call: SipCall) -> None:
        self._calls[call.call_id] = call
        with self._lock:
            self._audio[call.call_id] = call.audio

    def forget(self, call_id: str) -> None:
        self._calls.pop(call_id, None)
        with self._lock:
            self._audio.pop(call_id, None)

    def find(self, call_id: str) -> SipCall | None:
        return self._calls.get(call_id)

    def live(self) -> list[SipCall]:
        return [c for c in self._calls.values() if c.state is not CallState.DISCONNECTED]

    def record(self, record: CallRecord) -> None:
        try:
            self._history().append(record)
        except OSError as error:
            log.error("could not save the call record: %s", error)

    # -- any thread ------------------------------------------------------------------------------------
    def audio(self, call_id: str) -> CallAudio:
        with self._lock:
            try:
                return self._audio[call_id]
            except KeyError:
                raise UnknownCallError(f"no such call: {call_id}") from None

    # -- SIP thread: what the engine's commands need ---------------------------------------------------
    def get(self, call_id: str) -> SipCall:
        """A call that has not ended; `UnknownCallError` otherwise."""
        call = self._calls.get(call_id)
        if call is None or call.state is CallState.DISCONNECTED:
            raise UnknownCallError(f"no active call {call_id}")
        return call

    def summaries(self) -> list[CallSummary]:
        return [
            CallSummary(
                call_id=c.call_id,
                account_id=c.settings.id,
                direction=c.direction,
                state=c.state,
                remote_uri=c.remote_uri,
                display_name=c.display_name,
                media_status=c.media_status,
                muted=c.muted,
            )
            for c in self.live()
        ]

    def end_calls_of(self, account_id: str, timers: Scheduler) -> None:
        """Hang up an account's calls, wait for them to end, and drop them (deleting an account with
        live calls is a use-after-free in PJSIP 2.15)."""
        calls = [c for c in self._calls.values() if c.settings.id == account_id]
        for call in calls:
            if call.state is not CallState.DISCONNECTED:
                call.hang_up_here()
        timers.poll_until(lambda: all(c.state is CallState.DISCONNECTED for c in calls), 3.0)
        for call in calls:
            self.forget(call.call_id)

    def end_all(self, hangup_all: Callable[[], None], timers: Scheduler) -> None:
        """Teardown: hang every call up, give them a moment to end, release their media, drop them."""
        if self._calls:
            hangup_all()
            timers.poll_until(lambda: not self.live(), 2.0)
        for call in self._calls.values():
            call.release_media()
        self._calls.clear()
        with self._lock:
            self._audio.clear()
