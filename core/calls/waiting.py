"""Waiting on several things at once, and on SIP command futures nobody awaits."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)


async def first_done(*waits: Awaitable[Any], timeout: float) -> None:
    """Until the first of `waits` is done or `timeout` passed; the others are cancelled."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def log_failure(future: Future[None], what: str) -> None:
    """Log a line command's failure when it completes (the loop does not wait for it)."""

    def check(done: Future[None]) -> None:
        error = done.exception()
        if error is not None:
            log.warning("%s failed: %s", what, error)

    future.add_done_callback(check)
