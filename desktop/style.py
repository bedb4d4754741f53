"""The app's one look: resources/style/earpiece.qss applied to the whole application."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from earpiece.core.paths import resources_dir

STYLESHEET = resources_dir() / "style" / "earpiece.qss"


def apply_style(app: QApplication) -> None:
    """Idempotent: every window calls it, the stylesheet is set once."""
    if app.property("earpiece-style") is None:
        app.setStyleSheet(STYLESHEET.read_text(encoding="utf-8"))
        app.setProperty("earpiece-style", True)
