"""Which knowledge base the shown call searches, changeable for this call only. Without a call it
shows (and chooses) the default knowledge base of the next calls."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget


class KnowledgeChoice(QWidget):
    chosen = Signal(str)  # a knowledge base name, picked by the user

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QComboBox()
        self.box.setToolTip("The knowledge base this call's answers come from")
        self.box.setMinimumContentsLength(10)
        self.box.activated.connect(lambda _i: self.chosen.emit(self.box.currentText()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(QLabel("Knowledge base:"))
        layout.addWidget(self.box)

    def set_names(self, names: Sequence[str]) -> None:
        """The knowledge bases there are (after one was created, renamed or deleted)."""
        shown = self.current()
        self.box.clear()
        self.box.addItems(list(names))
        self.show_kb(shown)

    def show_kb(self, name: str) -> None:
        if name and self.box.findText(name) < 0:
            self.box.addItem(name)
        self.box.setCurrentText(name)

    def current(self) -> str:
        return self.box.currentText()
