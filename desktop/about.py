"""Help menu texts: what Earpiece is, where its files are, and the keyboard shortcuts."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMessageBox, QWidget

from earpiece import __version__
from earpiece.core.paths import config_dir, data_dir


def about_text() -> str:
    return (
        f"Earpiece {__version__}\n\n"
        "A softphone with an AI voice agent: in copilot mode it listens to your calls and suggests "
        "answers from your knowledge base; in autonomous mode it answers callers itself.\n\n"
        f"Settings: {config_dir()}\nCall records and knowledge: {data_dir()}"
    )


def shortcuts_text(actions: Iterable[QAction]) -> str:
    lines = [f"{a.shortcut().toString()}\t{a.text().rstrip('…')}" for a in actions
             if not a.shortcut().isEmpty()]
    return "Keyboard shortcuts (they work from any Earpiece window):\n\n" + "\n".join(lines)


def show_about(parent: QWidget) -> None:
    QMessageBox.about(parent, "About Earpiece", about_text())


def show_shortcuts(parent: QWidget, actions: Iterable[QAction]) -> None:
    QMessageBox.information(parent, "Keyboard shortcuts", shortcuts_text(actions))
