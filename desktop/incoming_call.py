"""The incoming-call notification: a small always-on-top window with Answer and Reject, plus the
ringtone while it rings."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from earpiece.desktop.call_view import CallView
from earpiece.desktop.copilot_panel import plain_label
from earpiece.desktop.sounds import Player, ringtone


class IncomingCallNotice(QDialog):
    answer_clicked = Signal(str)
    reject_clicked = Signal(str)

    def __init__(self, call: CallView, player: Player | None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Tool | Qt.WindowType.WindowStaysOnTopHint)
        self.call_id = call.call_id
        self.setWindowTitle("Incoming call")
        self._player = player
        title = plain_label(call.display_name or call.remote_uri)
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        title.setFont(font)
        detail = plain_label(f"{call.remote_uri}\non {call.account_id} · mode: {call.mode.value}")
        self.answer_button = QPushButton("Answer")
        self.answer_button.setDefault(True)
        self.answer_button.clicked.connect(lambda: self.answer_clicked.emit(self.call_id))
        self.reject_button = QPushButton("Reject")
        self.reject_button.clicked.connect(lambda: self.reject_clicked.emit(self.call_id))
        buttons = QHBoxLayout()
        buttons.addWidget(self.answer_button)
        buttons.addWidget(self.reject_button)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(detail)
        layout.addLayout(buttons)

    def ring(self) -> None:
        self.show()
        self.raise_()
        if self._player is not None:
            self._player.play(ringtone(), loop=True)

    def done_ringing(self) -> None:
        if self._player is not None:
            self._player.stop()
        self.close()
        self.deleteLater()
