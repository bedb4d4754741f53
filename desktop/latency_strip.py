"""One line under the call: how fast the last answer came, in plain words, with a button that
shows or hides the full latency panel."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QWidget

from earpiece.desktop.copilot_panel import plain_label
from earpiece.desktop.latency_panel import LatencySample
from earpiece.desktop.latency_words import strip_text

WAITING = "Timings appear after the first answer."


class LatencyStrip(QWidget):
    details_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = plain_label(WAITING, wrap=False)
        self.details = QPushButton("Timings…")
        self.details.setCheckable(True)
        self.details.setToolTip("Show or hide the full timing panel")
        self.details.toggled.connect(self.details_toggled)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.details)

    def show_sample(self, sample: LatencySample) -> None:
        self.text.setText(strip_text(sample).capitalize())

    def clear(self) -> None:
        self.text.setText(WAITING)
