"""Save a screenshot of an X display: `python -m tests.desktop.screen_grab OUT.png` with DISPLAY set."""

from __future__ import annotations

import sys

from PySide6.QtGui import QGuiApplication


def main() -> int:
    app = QGuiApplication([sys.argv[0], "-platform", "xcb"])
    screen = app.primaryScreen()
    return 0 if screen.grabWindow(0).save(sys.argv[1]) else 1


if __name__ == "__main__":
    sys.exit(main())
