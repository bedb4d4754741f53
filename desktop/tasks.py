"""Running coroutines from Qt slots on the qasync loop, with failures logged and shown, never lost."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)

_running: set[asyncio.Task[Any]] = set()  # strong references: the loop keeps only weak ones


def spawn(coro: Coroutine[Any, Any, Any], on_error: Callable[[BaseException], None] | None = None
          ) -> asyncio.Task[Any]:
    """Start `coro` on the running (qasync) loop; an exception goes to `on_error` and the log."""
    task = asyncio.get_event_loop().create_task(coro)
    _running.add(task)

    def finished(done: asyncio.Task[Any]) -> None:
        _running.discard(done)
        if done.cancelled():
            return
        exc = done.exception()
        if exc is not None:
            log.error("background task failed: %s", exc, exc_info=exc)
            if on_error is not None:
                on_error(exc)

    task.add_done_callback(finished)
    return task
