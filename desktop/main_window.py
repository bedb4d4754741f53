"""The main window: composes the panels; each panel lives in its own module."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QTabWidget

from earpiece.core.settings import Settings


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle("Earpiece")
        self.tabs = QTabWidget()
        self.tabs.addTab(QLabel("Phone"), "Phone")
        self.setCentralWidget(self.tabs)
        self.resize(1100, 720)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        QApplication.quit()
        event.accept()
