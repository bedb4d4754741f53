"""Fan-out of engine events to plain callbacks and asyncio queues.

Observers must not slow or break the call: a callback that raises is logged and kept out of the
pipeline, and queues are unbounded (an observer that stops reading only costs memory).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from earpiece.core.engine.events import EngineEvent

log = logging.getLogger(__name__)

Observer = Callable[[EngineEvent], None]


class EventBus:
    def __init__(self) -> None:
        self._observers: list[Observer] = []
        self._queues: list[asyncio.Queue[EngineEvent]] = []

    def subscribe(self, observer: Observer) -> Callable[[], None]:
        """Call `observer(event)` on the session's loop for every event; returns an unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer)

    def queue(self) -> asyncio.Queue[EngineEvent]:
        """A queue that receives every event from now on."""
        queue: asyncio.Queue[EngineEvent] = asyncio.Queue()
        self._queues.append(queue)
        return queue

    def publish(self, event: EngineEvent) -> None:
        for observer in list(self._observers):
            try:
                observer(event)
            except Exception:
                log.exception("an engine event observer failed on %s", type(event).__name__)
        for queue in self._queues:
            queue.put_nowait(event)
