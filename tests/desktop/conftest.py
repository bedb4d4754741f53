"""A qasync loop that runs on pytest-qt's Qt event loop, so qtbot.waitSignal also runs asyncio tasks;
and `window`: a main window with its phone started and one direct-call account, the AI off."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from earpiece.core.settings import AccountSettings, CallMode
from earpiece.desktop.call_view import CallView
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn
from earpiece.sip.events import MediaStatus
from tests.desktop.qasync_loop import close_loop, open_loop
from tests.desktop.windows import loopback_settings
from tests.peers.baresip import Baresip


def pytest_runtest_logfinish(nodeid: str, location: tuple[str, int | None, str]) -> None:
    """Once pytest has let go of the test's fixtures, its Qt garbage is collected here, on the GUI
    thread. A closed window leaves Python-owned Qt objects in reference cycles (pyqtgraph's plot menus,
    the test loop's executor threads), and Python collects cycles on whichever thread allocates (the
    SIP thread's teardown collects explicitly): a QWidget destroyed there races the GUI thread."""
    gc.unfreeze()  # a window that loaded the models froze the heap (freeze_heap) with itself in it
    gc.collect()


@pytest.fixture
def qloop(qapp: QApplication) -> Iterator[qasync.QEventLoop]:
    loop = open_loop(qapp)
    yield loop
    close_loop(qapp, loop)


@pytest.fixture
def window(qtbot: QtBot, qloop: qasync.QEventLoop) -> Iterator[MainWindow]:
    win = MainWindow(loopback_settings())
    qtbot.addWidget(win)
    win.show()
    win.activateWindow()  # shortcuts go to the active window (a real X display has no window manager here)
    qtbot.waitActive(win)
    try:
        with qtbot.waitSignal(win.phone.started, timeout=20_000):
            spawn(win.phone.start())
        account = AccountSettings(id="desk", username="agent", domain="127.0.0.1", registration=False,
                                  allow_direct_calls=True, default_mode=CallMode.OFF)
        with qtbot.waitSignal(win.phone.registration_changed, timeout=10_000):
            spawn(win.phone.add_account(account, password=""))
        yield win
    finally:
        # Until the stop is done (phone.engine is None from its first step): an engine still stopping
        # would wake this test's loop after it closed, and overlap the next test's engine.
        stopping = spawn(win.phone.stop())
        qtbot.waitUntil(stopping.done, timeout=20_000)


def connected_call(qtbot: QtBot, window: MainWindow, peer: Baresip) -> CallView:
    window.phone_panel.address.setText(peer.aor)
    with qtbot.waitSignal(window.phone.call_answered, timeout=15_000) as answered:
        window.phone_panel.call_button.click()
    peer.wait_event("CALL_ESTABLISHED", timeout=5)
    call = answered.args[0]
    # PJSIP locks the codec with a re-INVITE after baresip's multi-codec answer; let it finish
    qtbot.waitUntil(lambda: call.media is MediaStatus.ACTIVE and "/" in call.codec, timeout=5_000)
    qtbot.wait(500)
    window.phone_panel.select_call(call.call_id)
    return call
