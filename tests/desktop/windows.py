"""The main window as the GUI tests open and close it: loopback SIP on a free port, no sound card."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pytestqt.qtbot import QtBot

from earpiece.core.settings import AudioDeviceSettings, Settings, SipSettings
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.tasks import spawn


def loopback_settings() -> Settings:
    """SIP on 127.0.0.1 at a free UDP port (no TCP), and no audio devices."""
    return Settings(sip=SipSettings(bind_address="127.0.0.1", udp_port=0, enable_tcp=False),
                    audio=AudioDeviceSettings(input_device="none", output_device="none"))


@contextmanager
def shown_window(qtbot: QtBot, settings: Settings | None = None, *, not_saved: str | None = None,
                 stop_timeout_ms: int = 30_000) -> Iterator[MainWindow]:
    """A shown main window (nothing started: the test starts what it needs, on the `qloop`). On leaving,
    it shuts down as Quit does, without quitting the application, and this waits until its phone and
    knowledge store are closed (a test that shut it down itself finds that done)."""
    window = MainWindow(settings or loopback_settings(), not_saved=not_saved)
    qtbot.addWidget(window)
    window.show()
    try:
        yield window
    finally:
        spawn(window.shutdown(quit_app=False))
        qtbot.waitUntil(lambda: window.phone.engine is None and window.models.store is None,
                        timeout=stop_timeout_ms)
