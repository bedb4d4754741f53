"""A broken settings.json and the desktop app (#16; #12's "bad input gets a clear error and loses
nothing"). Started with no terminal, `earpiece` asks in a window: the file, the field and what is
wrong, with Open the folder / Try again / Start with default settings / Quit; the file is never
written. A session on the defaults keeps changes in use but unsaved, and says so; a file broken while
the app runs is reported when a setting is saved, and quitting still works."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync
from PIL import Image
from PySide6.QtCore import QObject, QTimer, QUrl, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QDialog, QLabel, QPushButton, QWidget
from pytestqt.qtbot import QtBot

from earpiece.cli import BAD_SETTINGS, main, settings_or_problem
from earpiece.core.settings import CallSettings, settings_path
from earpiece.desktop.bad_settings_dialog import BadSettingsDialog
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.settings.dialog import SettingsDialog
from earpiece.desktop.tasks import spawn
from tests.desktop.windows import shown_window
from tests.peers.process import wait_for
from tests.xvfb import virtual_display

pytestmark = [pytest.mark.gui]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"

# (file content, what the window must say about it)
BAD_FILES = {
    "invalid JSON": ('{"calls": {"shutdown_grace_s": 5}\n  "log_level": "INFO"}\n',
                     ("not valid JSON", "line 2")),
    "wrong type": ('{"calls": {"shutdown_grace_s": "soon"}}',
                   ("calls.shutdown_grace_s", "valid number", "'soon'")),
}


def _bad_file(content: str) -> Path:
    path = settings_path()
    path.write_text(content, encoding="utf-8")
    return path


def _shown_dialog() -> QDialog | None:
    shown = [w for w in QApplication.topLevelWidgets() if isinstance(w, QDialog) and w.isVisible()]
    return shown[0] if shown else None


def _text(widget: QWidget) -> str:
    return "\n".join(label.text() for label in widget.findChildren(QLabel))


def _button(widget: QWidget, text: str) -> QPushButton:
    (button,) = [b for b in widget.findChildren(QPushButton) if b.text() == text]
    return button


def _when_asked(act: Callable[[QDialog], None]) -> QTimer:
    """Runs `act` on the first dialog shown (from inside its `exec()`)."""
    timer = QTimer()

    def look() -> None:
        dialog = _shown_dialog()
        if dialog is not None:
            timer.stop()
            act(dialog)

    timer.timeout.connect(look)
    timer.start(50)
    return timer


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_the_desktop_asks_in_a_window_and_quit_leaves_the_file(kind: str, qapp: QApplication) -> None:
    content, said = BAD_FILES[kind]
    path = _bad_file(content)
    seen: list[str] = []

    def read_and_quit(dialog: QDialog) -> None:
        seen.append(_text(dialog))
        assert [b.text() for b in dialog.findChildren(QPushButton)] == [
            "Open the folder", "Try again", "Start with default settings", "Quit"]
        _button(dialog, "Quit").click()

    timer = _when_asked(read_and_quit)
    try:
        assert main([]) == BAD_SETTINGS  # `earpiece` with no command: the desktop app
    finally:
        timer.stop()
    assert seen, "no window asked about the settings"
    assert str(path) in seen[0] and "left as it is" in seen[0]
    for words in said:
        assert words in seen[0], seen[0]
    assert path.read_text(encoding="utf-8") == content


def _screen(display: str, out: Path) -> bytes:
    """The X display's pixels (a separate process grabs them, as a person would see them)."""
    subprocess.run([sys.executable, "-m", "tests.desktop.screen_grab", str(out)], check=True, timeout=60,
                   env={**os.environ, "DISPLAY": display}, cwd=ROOT, capture_output=True)
    with Image.open(out) as image:
        return image.tobytes()


def test_started_from_a_menu_the_app_shows_a_window_and_keeps_the_file(tmp_path: Path) -> None:
    """The installed entry point on a real X server, no terminal to read: a window appears and waits
    for an answer (it used to exit at once, saying it on stderr only)."""
    content, said = BAD_FILES["invalid JSON"]
    path = _bad_file(content)
    with virtual_display() as display:
        empty = _screen(display, tmp_path / "before.png")
        app = subprocess.Popen([sys.executable, "-m", "earpiece"], cwd=ROOT, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"})
        try:
            assert wait_for(lambda: app.poll() is not None or _screen(display, tmp_path / "now.png") != empty,
                            90, 0.5)
            assert app.poll() is None, app.communicate()[1]  # asking, not gone
            ARTIFACTS.mkdir(exist_ok=True)
            shutil.copy(tmp_path / "now.png", ARTIFACTS / "desktop-bad-settings.png")  # for a person to see
        finally:
            app.terminate()
            _, stderr = app.communicate(timeout=30)
    assert str(path) in stderr and said[0] in stderr  # a terminal, if any, gets it too
    assert path.read_text(encoding="utf-8") == content


class _FileManager(QObject):
    """Stands where the desktop's file manager would: Qt hands it the `file:` URLs the app opens."""

    def __init__(self) -> None:
        super().__init__()
        self.opened: list[str] = []

    @Slot(QUrl)
    def open(self, url: QUrl) -> None:
        self.opened.append(url.toLocalFile())


@pytest.fixture
def file_manager() -> Iterator[_FileManager]:
    manager = _FileManager()
    # PySide6 6.11's stub asks for bytes, but only a str names the slot at run time
    QDesktopServices.setUrlHandler("file", manager, "open")  # type: ignore[arg-type]
    yield manager
    QDesktopServices.unsetUrlHandler("file")


def test_open_the_folder_then_try_again_once_mended(qtbot: QtBot, file_manager: _FileManager) -> None:
    content, _ = BAD_FILES["invalid JSON"]
    path = _bad_file(content)
    problem = settings_or_problem()
    assert isinstance(problem, str)
    dialog = BadSettingsDialog(problem, settings_or_problem)
    qtbot.addWidget(dialog)
    dialog.show()
    _button(dialog, "Open the folder").click()
    assert file_manager.opened == [str(path.parent)] and dialog.isVisible()  # the question stays

    path.write_text('{"calls": {"shutdown_grace_s": "later"}}', encoding="utf-8")  # mended badly
    _button(dialog, "Try again").click()
    assert dialog.isVisible() and "'later'" in _text(dialog) and "line 2" not in _text(dialog)

    path.write_text('{"calls": {"shutdown_grace_s": 7}}', encoding="utf-8")
    _button(dialog, "Try again").click()
    assert dialog.result() == QDialog.DialogCode.Accepted and not dialog.isVisible()
    assert dialog.settings is not None and dialog.settings.calls.shutdown_grace_s == 7
    assert dialog.not_saved is None  # the mended file's settings: saved as usual


@pytest.mark.parametrize("kind", list(BAD_FILES))  # "wrong type" is valid JSON: a save would merge into it
def test_a_session_on_the_defaults_keeps_changes_in_use_and_the_file_untouched(
        kind: str, qtbot: QtBot, qloop: qasync.QEventLoop) -> None:
    content, said = BAD_FILES[kind]
    path = _bad_file(content)
    problem = settings_or_problem()
    assert isinstance(problem, str)
    question = BadSettingsDialog(problem, settings_or_problem)
    qtbot.addWidget(question)
    question.show()
    _button(question, "Start with default settings").click()
    assert question.result() == QDialog.DialogCode.Accepted
    settings, not_saved = question.settings, question.not_saved
    assert settings is not None and not_saved is not None
    assert settings.calls.shutdown_grace_s == CallSettings().shutdown_grace_s
    assert str(path) in not_saved and said[0] in not_saved

    with shown_window(qtbot, settings, not_saved=not_saved) as window:  # not started: no SIP, no audio
        assert window.not_saved_indicator.isVisible()
        assert said[0] in window.not_saved_indicator.toolTip()

        dialog = SettingsDialog(window.settings_store, window)
        qtbot.addWidget(dialog)
        dialog.show()
        assert "not saved" in _text(dialog)  # said before OK
        dialog.network.bind_address.setText("127.0.0.2")
        dialog.save()  # OK's work: no error, the change is in use
        assert window.settings.sip.bind_address == "127.0.0.2"

        window.copilot.whisper.click()  # saved at once, usually
        assert window.settings.ui.whisper_to_agent is window.copilot.whisper.isChecked()
        assert path.read_text(encoding="utf-8") == content
    assert path.read_text(encoding="utf-8") == content  # the window's geometry was not saved either


def test_a_file_broken_while_running_is_reported_on_save_and_quit_still_works(
        qtbot: QtBot, window: MainWindow) -> None:
    broken, _ = BAD_FILES["invalid JSON"]
    path = _bad_file(broken)
    whisper = window.settings.ui.whisper_to_agent
    window.copilot.whisper.click()  # saved at once, usually
    message = window.statusBar().currentMessage()
    assert str(path) in message and "not valid JSON" in message and "left as it is" in message
    assert window.settings.ui.whisper_to_agent is whisper is window.copilot.whisper.isChecked()  # as in use
    spawn(window.shutdown(quit_app=False))  # the window's geometry cannot be saved: it quits all the same
    qtbot.waitUntil(lambda: window.phone.engine is None, timeout=10_000)
    assert path.read_text(encoding="utf-8") == broken
