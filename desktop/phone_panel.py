"""Phone panel: account status, address field and dial pad, the list of calls and their controls."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.settings import SettingsFileError
from earpiece.desktop.call_recording import CallRecorder
from earpiece.desktop.call_view import CallView
from earpiece.desktop.contacts import Contact
from earpiece.desktop.copilot_panel import plain_label
from earpiece.desktop.dialpad import DialPad
from earpiece.desktop.icons import icon
from earpiece.desktop.level_meters import LevelMeters
from earpiece.desktop.phone import Phone
from earpiece.desktop.settings_signals import with_section
from earpiece.desktop.transfer_dialog import TransferDialog
from earpiece.sip.errors import UnknownCallError
from earpiece.sip.events import CallState

STATE_MARKS = {"registered": "●", "registering": "◌", "failed": "✖", "unregistered": "○"}
RECORDING_MARK = "● REC"


class PhonePanel(QWidget):
    def __init__(self, phone: Phone, recorder: CallRecorder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self.recorder = recorder
        self.accounts = QListWidget()
        self.accounts.setMaximumHeight(80)
        self.accounts.setToolTip("Accounts and their registration")
        self.accounts.currentItemChanged.connect(lambda *_: self._update_test_button())
        self.test_registration = QPushButton("Test registration")
        self.test_registration.setToolTip("Register the selected account again now and show the answer")
        self.test_registration.clicked.connect(self._test_registration)
        self.contacts: list[Contact] = []
        self.transfer_dialog: TransferDialog | None = None
        self.no_accounts = plain_label("No SIP account yet: add one in Settings, or try the Demo call.")
        self.account_choice = QComboBox()
        self.address = QLineEdit()
        self.address.setPlaceholderText("Number or sip:user@host")
        self.address.returnPressed.connect(self.dial)
        self.call_button = QPushButton("Call")
        self.call_button.clicked.connect(self.dial)
        self.dialpad = DialPad()
        self.dialpad.pressed.connect(self._key)

        self.calls = QListWidget()
        self.calls.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.answer_button = QPushButton(icon("answer"), "Answer")
        self.answer_button.setObjectName("answer")
        self.reject_button = QPushButton("Reject")
        self.hangup_button = QPushButton(icon("hang up"), "Hang up")
        self.hangup_button.setObjectName("hangup")
        self.hold_button = QPushButton(icon("hold"), "Hold")
        self.hold_button.setCheckable(True)
        self.mute_button = QPushButton(icon("mute"), "Mute")
        self.mute_button.setCheckable(True)
        self.transfer_button = QPushButton(icon("transfer"), "Transfer…")
        self.attended_button = QPushButton("Attended transfer…")
        self.record_button = QPushButton("Record")
        self.record_button.setCheckable(True)
        self.record_button.setToolTip("Record this call (both sides) into a file kept with the call")
        self.record_button.clicked.connect(
            lambda on: self._on_current(lambda c: self.recorder.set_recording(c, on)))
        self.recording_label = plain_label(f"{RECORDING_MARK}  This call is being recorded", wrap=False)
        self.recording_label.setStyleSheet("color: white; background-color: #c62828; font-weight: bold; "
                                           "padding: 2px 6px; border-radius: 3px;")
        self.recording_label.setVisible(False)
        self.answer_button.clicked.connect(lambda: self._on_current(self.phone.answer))
        self.reject_button.clicked.connect(lambda: self._on_current(self.phone.reject))
        self.hangup_button.clicked.connect(lambda: self._on_current(self.phone.hangup))
        self.hold_button.clicked.connect(
            lambda on: self._on_current(lambda c: self.phone.set_hold(c, on)))
        self.mute_button.clicked.connect(
            lambda on: self._on_current(lambda c: self.phone.set_mute(c, on)))
        self.transfer_button.clicked.connect(self.ask_transfer)
        self.attended_button.clicked.connect(self.ask_attended_transfer)
        controls = QGridLayout()
        for n, button in enumerate((self.answer_button, self.reject_button, self.hangup_button,
                                    self.hold_button, self.mute_button, self.transfer_button)):
            controls.addWidget(button, n // 3, n % 3)
        controls.addWidget(self.attended_button, 2, 0, 1, 2)
        controls.addWidget(self.record_button, 2, 2)
        self.levels = LevelMeters()
        self.levels.volumes_changed.connect(self._volumes_changed)
        self._metered_call = ""

        dial_row = QHBoxLayout()
        dial_row.addWidget(self.address, 1)
        dial_row.addWidget(self.call_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(plain_label("Accounts"))
        layout.addWidget(self.accounts)
        layout.addWidget(self.test_registration)
        layout.addWidget(self.no_accounts)
        layout.addWidget(self.account_choice)
        layout.addLayout(dial_row)
        layout.addWidget(self.dialpad)
        layout.addWidget(plain_label("Calls"))
        layout.addWidget(self.calls, 1)
        layout.addLayout(controls)
        layout.addWidget(self.recording_label)
        layout.addWidget(self.levels)

        phone.registration_changed.connect(self._registration)
        phone.call_changed.connect(self._call_changed)
        phone.call_ended.connect(self._call_ended)
        recorder.changed.connect(self._recording_changed)
        self._ticker = QTimer(self)  # talk time
        self._ticker.timeout.connect(self._refresh_times)
        self._ticker.start(1000)
        self._update_buttons()
        self._show_accounts()

    def set_contacts(self, contacts: Sequence[Contact]) -> None:
        self.contacts = list(contacts)
        completer = QCompleter([c.uri for c in self.contacts], self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.address.setCompleter(completer)

    # -- accounts --------------------------------------------------------------------------------
    def _registration(self, account_id: str, state: str, reason: str) -> None:
        matches = [self.accounts.item(i) for i in range(self.accounts.count())
                   if self.accounts.item(i).data(Qt.ItemDataRole.UserRole) == account_id]
        index = self.account_choice.findData(account_id)
        if state == "removed":
            for item in matches:
                self.accounts.takeItem(self.accounts.row(item))
            if index >= 0:
                self.account_choice.removeItem(index)
            self._show_accounts()
            return
        item = matches[0] if matches else QListWidgetItem()
        item.setData(Qt.ItemDataRole.UserRole, account_id)
        item.setText(f"{STATE_MARKS.get(state, '?')} {account_id}: {reason or state}")
        item.setToolTip(reason)
        if not matches:
            self.accounts.addItem(item)
        if index < 0:
            self.account_choice.addItem(f"Call from {account_id}", account_id)
        self._show_accounts()

    def _show_accounts(self) -> None:
        """Without accounts only the hint shows; the list, its test button and the choice of
        account to call from appear with the first account."""
        some = self.accounts.count() > 0
        self.no_accounts.setVisible(not some)
        for widget in (self.accounts, self.test_registration, self.account_choice):
            widget.setVisible(some)
        self._update_test_button()

    def _selected_account(self) -> str | None:
        item = self.accounts.currentItem()
        return item.data(Qt.ItemDataRole.UserRole) if item is not None else None

    def _update_test_button(self) -> None:
        account = self.phone.accounts.get(self._selected_account() or "")
        self.test_registration.setEnabled(account is not None and account.registration)

    def _test_registration(self) -> None:
        account_id = self._selected_account()
        if account_id is not None:
            self.phone.test_registration(account_id)

    # -- calls -----------------------------------------------------------------------------------
    def current_call(self) -> CallView | None:
        item = self.calls.currentItem()
        return self.phone.calls.get(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def select_call(self, call_id: str) -> None:
        for i in range(self.calls.count()):
            if self.calls.item(i).data(Qt.ItemDataRole.UserRole) == call_id:
                self.calls.setCurrentRow(i)

    def _item(self, call_id: str) -> QListWidgetItem | None:
        for i in range(self.calls.count()):
            if self.calls.item(i).data(Qt.ItemDataRole.UserRole) == call_id:
                return self.calls.item(i)
        return None

    def _call_changed(self, call: CallView) -> None:
        item = self._item(call.call_id)
        if item is None:
            item = QListWidgetItem()
            item.setData(Qt.ItemDataRole.UserRole, call.call_id)
            self.calls.addItem(item)
            if self.calls.currentItem() is None or call.ringing_in:
                self.calls.setCurrentItem(item)
        self._label(item, call)
        self._update_buttons()

    def _call_ended(self, call: CallView) -> None:
        item = self._item(call.call_id)
        if item is not None:
            self.calls.takeItem(self.calls.row(item))
        self._update_buttons()

    def _label(self, item: QListWidgetItem, call: CallView) -> None:
        arrow = "←" if call.direction.value == "inbound" else "→"
        recording = f"  {RECORDING_MARK}" if self.recorder.is_recording(call.call_id) else ""
        item.setText(f"{arrow} {call.title}  [{call.mode.value}]\n   {call.status_text()}{recording}")

    def _recording_changed(self, call_id: str, _on: bool) -> None:
        call, item = self.phone.calls.get(call_id), self._item(call_id)
        if call is not None and item is not None:
            self._label(item, call)
        self._update_buttons()

    def _refresh_times(self) -> None:
        for i in range(self.calls.count()):
            item = self.calls.item(i)
            call = self.phone.calls.get(item.data(Qt.ItemDataRole.UserRole))
            if call is not None and call.state is CallState.CONFIRMED:
                self._label(item, call)

    def _update_buttons(self) -> None:
        call = self.current_call()
        ringing = call is not None and call.ringing_in
        connected = call is not None and call.state is CallState.CONFIRMED
        self.answer_button.setEnabled(ringing)
        self.reject_button.setEnabled(ringing)
        self.hangup_button.setEnabled(call is not None)
        for button in (self.hold_button, self.mute_button, self.transfer_button):
            button.setEnabled(connected)
        self.attended_button.setEnabled(connected and len(self.phone.calls) > 1)
        recording = call is not None and self.recorder.is_recording(call.call_id)
        self.record_button.setEnabled(connected)
        self.record_button.setChecked(recording)
        self.record_button.setText("Stop recording" if recording else "Record")
        self.recording_label.setVisible(recording)
        self.hold_button.setChecked(bool(call and call.held))
        self.hold_button.setText("Resume" if call and call.held else "Hold")
        self.mute_button.setChecked(bool(call and call.muted))
        self.mute_button.setText("Unmute" if call and call.muted else "Mute")
        self._meter(call if connected else None)

    def _meter(self, call: CallView | None) -> None:
        """The level meters follow the selected call while it is connected (hidden otherwise)."""
        self.levels.setVisible(call is not None)
        if call is None or self.phone.engine is None:
            if self._metered_call:
                self.levels.detach()
                self._metered_call = ""
            return
        audio = self.phone.settings.audio
        self.levels.show_volumes(audio.microphone_volume, audio.speaker_volume)
        if call.call_id != self._metered_call:
            try:
                self.levels.attach(self.phone.engine.call_audio(call.call_id))
            except UnknownCallError:
                return
            self._metered_call = call.call_id

    def _volumes_changed(self, microphone: int, speaker: int) -> None:
        """The in-call sliders change the headset volumes in the settings (saved at once); the
        window hands the settings' volumes to the engine."""
        store = self.phone.settings_store
        try:
            store.replace(with_section(store.current, "audio", microphone_volume=microphone,
                                       speaker_volume=speaker))
        except (OSError, SettingsFileError) as exc:  # the file broken meanwhile is left as it is
            self.phone.message.emit(f"The volume was not saved: {exc}")

    def _on_current(self, action: Callable[[str], None]) -> None:
        call = self.current_call()
        if call is not None:
            action(call.call_id)

    # -- dialling --------------------------------------------------------------------------------
    def dial(self) -> None:
        destination = self.address.text().strip()
        account_id = self.account_choice.currentData()
        if not destination:
            return
        if account_id is None:
            self.phone.message.emit("Add a SIP account in Settings first (or try the Demo call).")
            return
        self.phone.dial(account_id, destination)

    def _key(self, key: str) -> None:
        call = self.current_call()
        if call is not None and call.state is CallState.CONFIRMED:
            self.phone.send_dtmf(call.call_id, key)
        else:
            self.address.insert(key)

    def ask_transfer(self) -> None:
        call = self.current_call()
        if call is None:
            return
        dialog = TransferDialog(call.title, self.contacts, self)
        call_id = call.call_id

        def chosen() -> None:
            if dialog.destination():
                self.phone.transfer(call_id, dialog.destination())

        dialog.accepted.connect(chosen)
        self.transfer_dialog = dialog
        dialog.open()

    def ask_attended_transfer(self) -> None:
        call = self.current_call()
        others = [c for c in self.phone.calls.values() if call and c.call_id != call.call_id]
        if call is None or not others:
            return
        labels = [c.title for c in others]
        choice, ok = QInputDialog.getItem(self, "Attended transfer",
                                          f"Connect {call.title} with:", labels, 0, False)
        if ok:
            self.phone.attended_transfer(call.call_id, others[labels.index(choice)].call_id)
