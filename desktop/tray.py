"""The system tray icon: status in the tooltip, incoming calls as notifications, a small menu."""

from __future__ import annotations

from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from earpiece.core.paths import resources_dir


def app_icon() -> QIcon:
    return QIcon(str(resources_dir() / "icons" / "earpiece.svg"))


class Tray(QSystemTrayIcon):
    def __init__(self, window: QWidget, actions: list[QAction]) -> None:
        super().__init__(app_icon(), window)
        self.window = window
        menu = QMenu(window)
        show = menu.addAction("Show Earpiece")
        show.triggered.connect(self.show_window)
        for action in actions:
            menu.addAction(action)
        self.setContextMenu(menu)
        self.activated.connect(self._activated)
        self.set_status("starting")

    def show_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason is QSystemTrayIcon.ActivationReason.Trigger:
            self.show_window()

    def set_status(self, text: str) -> None:
        self.setToolTip(f"Earpiece: {text}")

    def notify(self, title: str, text: str) -> None:
        if self.isVisible() and self.supportsMessages():
            self.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 8000)
