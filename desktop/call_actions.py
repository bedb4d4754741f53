"""The window's call actions (menu, toolbar, tray and keyboard shortcuts): answer, hang up, hold,
mute, record and do-not-disturb, each enabled only when it can act on the calls there are."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from earpiece.desktop.icons import icon
from earpiece.desktop.phone import Phone
from earpiece.desktop.phone_panel import PhonePanel


def make_action(owner: QWidget, text: str, slot: Callable[[], object], shortcut: str = "",
                icon_name: str = "") -> QAction:
    """An action whose shortcut works from any of the app's windows."""
    action = QAction(text, owner)
    if shortcut:
        action.setShortcut(QKeySequence(shortcut))
        action.setShortcutContext(Qt.ShortcutContext.ApplicationShortcut)
    if icon_name:
        action.setIcon(icon(icon_name))
    action.triggered.connect(slot)
    owner.addAction(action)
    return action


class CallActions(QObject):
    def __init__(self, owner: QWidget, phone: Phone, panel: PhonePanel) -> None:
        super().__init__(owner)
        self.phone = phone
        self.panel = panel
        self.answer = make_action(owner, "Answer", self.answer_ringing, "Ctrl+Shift+A", "answer")
        self.hangup = make_action(owner, "Hang up", self.hang_up_current, "Ctrl+Shift+H", "hang up")
        self.hold = make_action(owner, "Hold / resume", self.toggle_hold, "Ctrl+Shift+P", "hold")
        self.mute = make_action(owner, "Mute / unmute", self.toggle_mute, "Ctrl+Shift+M", "mute")
        self.record = make_action(owner, "Record / stop recording", self.toggle_recording, "Ctrl+Shift+R")
        self.record.setToolTip("Record the selected call into a file kept with it, or stop recording")
        self.dnd = make_action(owner, "Do not disturb", lambda: None, "Ctrl+Shift+N", "do not disturb")
        self.dnd.setCheckable(True)
        self.dnd.setToolTip("Decline incoming calls without ringing")
        self.on_calls = (self.answer, self.hangup, self.hold, self.mute)
        for signal in (phone.call_changed, phone.call_ended):
            signal.connect(lambda _call: self.update())
        panel.calls.currentItemChanged.connect(lambda *_: self.update())
        panel.recorder.changed.connect(lambda *_: self.update())
        self.update()

    def update(self) -> None:
        """Answer only with a call ringing, hang up only with a call, hold and mute only when talking."""
        calls = list(self.phone.calls.values())
        self.answer.setEnabled(any(c.ringing_in for c in calls))
        self.hangup.setEnabled(bool(calls))
        current = self.panel.current_call()
        talking = current is not None and current.answered_at is not None and current.active
        self.hold.setEnabled(talking)
        self.mute.setEnabled(talking)
        self.record.setEnabled(talking)

    def answer_ringing(self) -> None:
        ringing = [c for c in self.phone.calls.values() if c.ringing_in]
        if ringing:
            self.phone.answer(ringing[-1].call_id)

    def hang_up_current(self) -> None:
        call = self.panel.current_call() or next(iter(self.phone.calls.values()), None)
        if call is not None:
            self.phone.hangup(call.call_id)

    def toggle_hold(self) -> None:
        call = self.panel.current_call()
        if call is not None and call.answered_at is not None:
            self.phone.set_hold(call.call_id, not call.held)

    def toggle_recording(self) -> None:
        call = self.panel.current_call()
        if call is not None and call.answered_at is not None:
            recorder = self.panel.recorder
            recorder.set_recording(call.call_id, not recorder.is_recording(call.call_id))

    def toggle_mute(self) -> None:
        call = self.panel.current_call()
        if call is not None and call.answered_at is not None:
            self.phone.set_mute(call.call_id, not call.muted)
