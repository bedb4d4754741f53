"""A 12-key dial pad: digits go to the address field, or as DTMF when a call is connected."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QPushButton, QWidget

KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")


class DialPad(QWidget):
    pressed = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setSpacing(4)
        grid.setContentsMargins(0, 0, 0, 0)
        self.buttons: dict[str, QPushButton] = {}
        for n, key in enumerate(KEYS):
            button = QPushButton(key)
            button.setMinimumHeight(32)
            button.setAutoDefault(False)
            button.clicked.connect(lambda _checked=False, k=key: self.pressed.emit(k))
            grid.addWidget(button, n // 3, n % 3)
            self.buttons[key] = button
