"""The question asked at start when `settings.json` cannot be used (not JSON, a field of the wrong type
or out of range): started from a menu, the app has no terminal for the command-line message, so it
shows the same message (the file, each field and what is wrong) in a window.

The file is never written from here. The choices: open its folder (the question stays), try again
after mending it, start with the default settings for this session (the file is kept as it is and
changes are not saved, see `unsaved_settings`), or quit.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import ValidationError
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from earpiece.core.settings import Settings, settings_path
from earpiece.desktop.unsaved_settings import SettingsWithoutFile

# Reads the settings: them, or what is wrong with them as the command line says it.
LoadSettings = Callable[[], Settings | str]

WHAT_NOW = ("Mend it in a text editor and press Try again, or start with the default settings: your file "
            "is kept as it is, and changes you make in Earpiece are not saved until you mend it and "
            "start Earpiece again.")


def for_a_window(problem: str) -> str:
    """The command line's message without its program-name prefix."""
    text = problem.removeprefix("earpiece: ")
    return text[:1].upper() + text[1:]


class BadSettingsDialog(QDialog):
    """Accepted with `settings` (the mended file's) or, after "Start with default settings", the
    defaults with `not_saved` saying why; rejected on Quit."""

    def __init__(self, problem: str, load: LoadSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.load = load
        self.settings: Settings | None = None
        self.not_saved: str | None = None
        self.problem = problem
        self.setWindowTitle("Earpiece: the settings cannot be used")
        heading = QLabel("<b>Earpiece cannot use your settings file.</b>")
        self.message = QLabel(for_a_window(problem))
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setWordWrap(True)
        what_now = QLabel(WHAT_NOW)
        what_now.setWordWrap(True)
        buttons = QDialogButtonBox()
        self.open_folder = self._button(buttons, "Open the folder", self._open_folder,
                                        QDialogButtonBox.ButtonRole.ActionRole)
        self.try_again = self._button(buttons, "Try again", self._try_again,
                                      QDialogButtonBox.ButtonRole.ActionRole)
        self.defaults = self._button(buttons, "Start with default settings", self._start_with_defaults,
                                     QDialogButtonBox.ButtonRole.AcceptRole)
        self.defaults.setToolTip("Your file is kept as it is; changes are not saved until it is mended")
        self.quit = self._button(buttons, "Quit", self.reject, QDialogButtonBox.ButtonRole.RejectRole)
        self.try_again.setDefault(True)
        layout = QVBoxLayout(self)
        for label in (heading, self.message, what_now):
            layout.addWidget(label)
        layout.addWidget(buttons)
        self.setMinimumWidth(560)

    @staticmethod
    def _button(buttons: QDialogButtonBox, text: str, slot: Callable[[], None],
                role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = QPushButton(text)
        button.setAutoDefault(False)
        buttons.addButton(button, role)
        button.clicked.connect(slot)  # the box's own accepted/rejected are not connected: each button decides
        return button

    def _open_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(settings_path().parent)))

    def _try_again(self) -> None:
        loaded = self.load()
        if isinstance(loaded, str):
            self.problem = loaded
            self.message.setText(for_a_window(loaded) + "\n\n(Read again just now.)")
            return
        self.settings = loaded
        self.accept()

    def _start_with_defaults(self) -> None:
        try:
            self.settings = SettingsWithoutFile()
        except ValidationError:  # an EARPIECE_... environment variable is wrong: the message names it
            self.message.setText(f"{for_a_window(self.problem)}\n\nThe default settings cannot be used "
                                 "either while that environment variable is set: correct it or unset it.")
            self.defaults.setEnabled(False)
            return
        self.not_saved = (f"Earpiece started with its default settings because {settings_path()} could not "
                          "be used. Changes are in use until Earpiece quits, but not saved: mend the file "
                          f"and start Earpiece again.\n\n{for_a_window(self.problem)}")
        self.accept()
