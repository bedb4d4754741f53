"""The app's one icon set: the bundled Adwaita symbolic icons (resources/icons/adwaita, licence in
resources/icons/LICENSES.md), drawn in the palette's text colour so they read on light and dark
themes, sharp at any scale (SVG)."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from earpiece.core.paths import resources_dir

ADWAITA_INK = "#2e3436"  # the fill the symbolic icons are drawn with
SIZES = (16, 24, 32, 48, 64)

# What each action looks like: action -> Adwaita icon name.
ACTION_ICONS = {
    "answer": "call-start",
    "hang up": "call-stop",
    "hold": "media-playback-pause",
    "mute": "microphone-sensitivity-muted",
    "dial pad": "input-dialpad",
    "transfer": "mail-forward",
    "settings": "preferences-system",
    "about": "help-about",
    "do not disturb": "notifications-disabled",
    "demo": "call-incoming",
}


def _ink() -> str:
    return QGuiApplication.palette().color(QPalette.ColorRole.WindowText).name()


@cache
def _icon(name: str, ink: str) -> QIcon:
    svg = (resources_dir() / "icons" / "adwaita" / f"{name}.svg").read_text(encoding="utf-8")
    renderer = QSvgRenderer(QByteArray(svg.replace(ADWAITA_INK, ink).encode()))
    icon = QIcon()
    for size in SIZES:
        pixmap = QPixmap(QSize(size, size))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        renderer.render(painter)
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def icon(action: str) -> QIcon:
    """The icon for one of ACTION_ICONS' actions; KeyError names an unknown one."""
    return _icon(ACTION_ICONS[action], _ink())
