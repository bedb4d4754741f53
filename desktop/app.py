"""Start the desktop app: a Qt application whose asyncio loop is qasync's, on the GUI thread."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys

import qasync
from PySide6.QtCore import QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QDialog

from earpiece.core.logging_setup import setup_logging
from earpiece.core.settings import Settings
from earpiece.desktop.bad_settings_dialog import BadSettingsDialog, LoadSettings
from earpiece.desktop.demo_call import first_run
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.style import apply_style
from earpiece.desktop.tasks import spawn
from earpiece.desktop.tray import app_icon

log = logging.getLogger(__name__)

# "1": start the demo call at start-up; "0": never by itself (default: on the first run without accounts)
DEMO_ENV = "EARPIECE_DEMO"


def wants_demo(settings: Settings) -> bool:
    choice = os.environ.get(DEMO_ENV, "")
    if choice in ("0", "1"):
        return choice == "1"
    return not settings.sip.accounts and first_run()


def start_desktop(load: LoadSettings, log_level: str | None, *, bad_settings_code: int) -> int:
    """Read the settings and run the app; when they cannot be used, ask what to do in a window (the
    command line's message goes to stderr as well). Quitting there returns `bad_settings_code`."""
    loaded = load()
    not_saved = None
    if isinstance(loaded, str):
        print(loaded, file=sys.stderr)
        _application()
        question = BadSettingsDialog(loaded, load)
        if question.exec() != QDialog.DialogCode.Accepted or question.settings is None:
            return bad_settings_code
        loaded, not_saved = question.settings, question.not_saved
    setup_logging(log_level or loaded.log_level)
    if not_saved is not None:
        log.warning("started with the default settings: %s", not_saved)
    return run_app(loaded, not_saved=not_saved)


def _application() -> QApplication:
    QGuiApplication.setDesktopFileName("earpiece")
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setApplicationName("Earpiece")
    app.setOrganizationName("Earpiece")
    app.setWindowIcon(app_icon())
    apply_style(app)  # the settings question, before any window, looks like the rest
    return app


def run_app(settings: Settings, *, not_saved: str | None = None) -> int:
    """Show the main window and run until it is closed; returns the process exit code. `not_saved`:
    why this session's settings changes are not saved (the settings file could not be used)."""
    app = _application()
    app.setQuitOnLastWindowClosed(False)  # the window's close runs an orderly async shutdown first
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    quitting = asyncio.Event()
    app.aboutToQuit.connect(quitting.set)
    window = MainWindow(settings, not_saved=not_saved)
    window.show()
    for number in (signal.SIGINT, signal.SIGTERM):  # Ctrl+C or a service manager: quit in order
        signal.signal(number, lambda _n, _f: window.request_quit())
    heartbeat = QTimer()  # lets Python run its signal handlers while Qt waits for events
    heartbeat.start(250)
    heartbeat.timeout.connect(lambda: None)
    with loop:
        spawn(window.start(demo=wants_demo(settings)))
        loop.run_until_complete(quitting.wait())
    log.info("desktop app closed")
    return 0
