"""Start the desktop app: a Qt application whose asyncio loop is qasync's, on the GUI thread."""

from __future__ import annotations

import asyncio
import logging
import sys

import qasync
from PySide6.QtWidgets import QApplication

from earpiece.core.settings import Settings
from earpiece.desktop.main_window import MainWindow

log = logging.getLogger(__name__)


def run_app(settings: Settings) -> int:
    """Show the main window and run until it is closed; returns the process exit code."""
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Earpiece")
    app.setOrganizationName("Earpiece")
    app.setQuitOnLastWindowClosed(False)  # the tray icon keeps it running; Quit ends it
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    closed = asyncio.Event()
    app.aboutToQuit.connect(closed.set)
    window = MainWindow(settings)
    window.show()
    with loop:
        loop.run_until_complete(closed.wait())
    log.info("desktop app closed")
    return 0
