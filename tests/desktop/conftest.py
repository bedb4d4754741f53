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
    # Not loop.stop(): it calls QApplication.exit(), which would end every later qtbot wait at once.
    qapp.aboutToQuit.disconnect(loop._after_run_forever)
    loop._after_run_forever()
    loop._QEventLoop__is_running = False
    loop.close()
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
