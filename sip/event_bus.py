"""Delivery of `SipEvent`s to subscribers, on the SIP thread (subscribing works from any thread)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from earpiece.sip.events import SipEvent
from earpiece.sip.guard import guarded

Subscriber = Callable[[SipEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Deliver every later event to `callback(event)`, in subscription order. Returns an unsubscribe
        function. Exceptions from a callback are logged and swallowed."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, event: SipEvent) -> None:
        with self._lock:
            subscribers = tuple(self._subscribers)
        for subscriber in subscribers:
            guarded(subscriber)(event)
