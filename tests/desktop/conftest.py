"""A qasync loop that runs on pytest-qt's Qt event loop, so qtbot.waitSignal also runs asyncio tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import qasync


@pytest.fixture
def qloop(qapp) -> Iterator[qasync.QEventLoop]:
    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop
    for task in asyncio.all_tasks(loop):
        task.cancel()
    loop.stop()
    loop.close()
    asyncio.set_event_loop(None)
