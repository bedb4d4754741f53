"""A qasync loop on pytest-qt's already running Qt event loop, one per test, and its orderly end.

Why the end hands the loop's timer object to the application: qasync keeps one Qt timer per callback
it schedules (a cancelled one too, until its time comes) on a parentless QObject of the loop. The closed
loop is cyclic garbage, and Python collects cycles on whichever thread happens to allocate: the SIP
thread (its teardown collects explicitly), an ingest or executor thread. A QObject destroyed off its
own thread cannot unregister its timers ("QObject::~QObject: Timers cannot be stopped from another
thread"), so the next processEvents, pytest-qt's after any later test, delivered a timer event to freed
memory: SIGSEGV in QTimerInfoList::activateTimers. Owned by the application, the timer object lives on
the GUI thread until the application ends; the closed loop has stopped it, so each timer left, and each
late wake-up a worker thread queued for the loop, is killed when it fires. (Deleting the object instead
turns those late wake-ups into "C++ object already deleted" errors.)
"""

from __future__ import annotations

import asyncio

import qasync
from PySide6.QtWidgets import QApplication


def open_loop(app: QApplication) -> qasync.QEventLoop:
    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    return loop


def close_loop(app: QApplication, loop: qasync.QEventLoop) -> None:
    """Cancel the loop's tasks, close it without quitting Qt, and give its timer object to `app`."""
    for task in asyncio.all_tasks(loop):
        task.cancel()
    # Not loop.stop(): it calls QApplication.exit(), which would end every later qtbot wait at once.
    app.aboutToQuit.disconnect(loop._after_run_forever)
    loop._after_run_forever()
    loop._QEventLoop__is_running = False
    loop.close()
    loop._timer.setParent(app)  # never destroyed by the garbage collector, so never off this thread
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)
