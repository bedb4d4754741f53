"""Call history (the SIP engine's record of finished calls) and simple editable contacts. A
double-click opens the call (transcript, answers, timings); the search field filters by number,
name, date or words said in the call. Deleting a call removes everything kept about it (record,
transcript, recording, history line)."""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from earpiece.core.analytics import CallArchive
from earpiece.core.analytics.records import CallData, CallNotFoundError
from earpiece.desktop.call_detail import CallDetail, open_recording, play_labels
from earpiece.desktop.call_recording import recordings
from earpiece.desktop.contacts import Contact, JsonListStore
from earpiece.desktop.copilot_panel import plain_label
from earpiece.desktop.plain_words import end_reason_text
from earpiece.sip.records import CallRecord


def _table(headers: list[str]) -> QTableWidget:
    table = QTableWidget(0, len(headers))
    table.setHorizontalHeaderLabels(headers)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    header = table.horizontalHeader()
    for column in range(len(headers) - 1):
        header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
    return table


class HistoryPanel(QWidget):
    call_requested = Signal(str)  # a URI to dial
    contacts_changed = Signal()

    def __init__(self, contacts: JsonListStore[Contact], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contacts = contacts
        self.records: list[CallRecord] = []
        self.said: dict[str, str] = {}  # call id -> the words of its transcript, for the search
        self.detail: CallDetail | None = None
        self.notice: QMessageBox | None = None  # "nothing more was kept" for a call without a record
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search by number, name, date (2026-12-01) or words said")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.history = _table(["When", "", "Who", "Duration", "Outcome"])
        self.history.doubleClicked.connect(lambda index: self.open_call(index.row()))
        open_call = QPushButton("Open")
        open_call.setToolTip("Read the call's transcript, answers and timings")
        open_call.clicked.connect(lambda: self.open_call(self.history.currentRow()))
        call_back = QPushButton("Call back")
        call_back.clicked.connect(lambda: self._call_history_row(self.history.currentRow()))
        save_contact = QPushButton("Add to contacts")
        save_contact.clicked.connect(self._contact_from_history)
        delete_call = QPushButton("Delete call")
        delete_call.setToolTip("Delete the call with its transcript and recording")
        delete_call.clicked.connect(self._ask_delete_call)
        history_buttons = QHBoxLayout()
        history_buttons.addWidget(open_call)
        history_buttons.addWidget(call_back)
        history_buttons.addWidget(save_contact)
        history_buttons.addWidget(delete_call)
        history_buttons.addStretch(1)

        self.contact_table = _table(["Name", "Address", "Note"])
        self.contact_table.doubleClicked.connect(lambda index: self._call_contact(index.row()))
        add = QPushButton("Add…")
        add.clicked.connect(self._ask_new_contact)
        edit = QPushButton("Edit…")
        edit.clicked.connect(self._ask_edit_contact)
        remove = QPushButton("Delete")
        remove.clicked.connect(self._delete_contact)
        call = QPushButton("Call")
        call.clicked.connect(lambda: self._call_contact(self.contact_table.currentRow()))
        contact_buttons = QHBoxLayout()
        for button in (call, add, edit, remove):
            contact_buttons.addWidget(button)
        contact_buttons.addStretch(1)

        history_box = QWidget()
        history_layout = QVBoxLayout(history_box)
        history_layout.addWidget(plain_label("Recent calls"))
        history_layout.addWidget(self.search)
        history_layout.addWidget(self.history, 1)
        history_layout.addLayout(history_buttons)
        contacts_box = QWidget()
        contacts_layout = QVBoxLayout(contacts_box)
        contacts_layout.addWidget(plain_label("Contacts"))
        contacts_layout.addWidget(self.contact_table, 1)
        contacts_layout.addLayout(contact_buttons)
        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(history_box)
        split.addWidget(contacts_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(split)
        self.show_contacts()

    # -- history ---------------------------------------------------------------------------------
    def show_history(self, records: list[CallRecord], archive: list[CallData] | None = None) -> None:
        """`archive`: the saved call records (default: read now) whose transcripts the search covers."""
        self.records = list(reversed(records))  # newest first
        saved = archive if archive is not None else CallArchive().calls()
        self.said = {c.call_id: " ".join(line.text for line in c.transcript).lower() for c in saved}
        self.history.setRowCount(0)
        names = {c.uri: c.name for c in self.contacts.rows}
        for record in self.records:
            row = self.history.rowCount()
            self.history.insertRow(row)
            who = names.get(record.remote_uri) or record.display_name or record.remote_uri
            arrow = "←" if record.direction.value == "inbound" else "→"
            talk = int(record.duration_s)
            recorded = "  (recorded)" if recordings(record.call_id) else ""
            cells = (
                datetime.fromtimestamp(record.started_at).strftime("%Y-%m-%d %H:%M"),
                arrow,
                who,
                f"{talk // 60}:{talk % 60:02d}" if record.answered_at else "",
                end_reason_text(record.end_reason, record.direction.value == "outbound") + recorded,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(record.remote_uri)
                self.history.setItem(row, column, item)
        self._filter(self.search.text())

    def _filter(self, text: str) -> None:
        words = text.lower().split()
        for row, record in enumerate(self.records):
            cells = " ".join(item.text() for c in range(self.history.columnCount())
                             if (item := self.history.item(row, c)) is not None)
            haystack = f"{cells} {record.remote_uri} {self.said.get(record.call_id, '')}".lower()
            self.history.setRowHidden(row, not all(word in haystack for word in words))

    def open_call(self, row: int) -> None:
        """Show the call's transcript, answers and timings (a plain call has only its history line)."""
        if not 0 <= row < len(self.records):
            return
        record = self.records[row]
        try:
            call = CallArchive().get(record.call_id)
        except CallNotFoundError:
            self._nothing_more(record)
            return
        call.display_name = call.display_name or record.display_name
        call.remote_uri = call.remote_uri or record.remote_uri
        self.detail = CallDetail(call, record, self)
        self.detail.show()

    def _nothing_more(self, record: CallRecord) -> None:
        """A call without an AI record: say so, and offer its recording if there is one."""
        paths = recordings(record.call_id)
        text = "Nothing more was kept about this call: the AI was off, so there is no transcript."
        self.notice = box = QMessageBox(QMessageBox.Icon.Information, "Call", text,
                                        QMessageBox.StandardButton.Close, self)
        if paths:
            box.setText(f"{text}\nIts recording is kept: {', '.join(str(p) for p in paths)}")
            for label, path in play_labels(paths):
                button = box.addButton(label, QMessageBox.ButtonRole.ActionRole)
                button.clicked.connect(lambda _checked=False, p=path: open_recording(p))
        box.open()

    def _call_history_row(self, row: int) -> None:
        if 0 <= row < len(self.records):
            self.call_requested.emit(self.records[row].remote_uri)

    def _contact_from_history(self) -> None:
        row = self.history.currentRow()
        if 0 <= row < len(self.records):
            record = self.records[row]
            self._ask_contact(Contact(record.display_name or "", record.remote_uri))

    def _ask_delete_call(self) -> None:
        row = self.history.currentRow()
        if not 0 <= row < len(self.records):
            return
        record = self.records[row]
        who = record.display_name or record.remote_uri
        answer = QMessageBox.question(self, "Delete call", f"Delete the call with {who} and its transcript?")
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_call(record.call_id)

    def delete_call(self, call_id: str) -> None:
        CallArchive().delete([call_id])
        for row in reversed(range(len(self.records))):
            if self.records[row].call_id == call_id:
                del self.records[row]
                self.history.removeRow(row)

    # -- contacts --------------------------------------------------------------------------------
    def show_contacts(self) -> None:
        self.contact_table.setRowCount(0)
        for contact in sorted(self.contacts.rows, key=lambda c: c.name.lower()):
            row = self.contact_table.rowCount()
            self.contact_table.insertRow(row)
            for column, text in enumerate((contact.name, contact.uri, contact.note)):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, id(contact))
                self.contact_table.setItem(row, column, item)

    def contact_at(self, row: int) -> Contact | None:
        item = self.contact_table.item(row, 0)
        if item is None:
            return None
        wanted = item.data(Qt.ItemDataRole.UserRole)
        return next((c for c in self.contacts.rows if id(c) == wanted), None)

    def add_contact(self, contact: Contact) -> None:
        self.contacts.append(contact)
        self.show_contacts()
        self.contacts_changed.emit()

    def _ask_new_contact(self) -> None:
        self._ask_contact(Contact("", ""))

    def _ask_edit_contact(self) -> None:
        contact = self.contact_at(self.contact_table.currentRow())
        if contact is not None:
            self._ask_contact(contact, existing=True)

    def _ask_contact(self, contact: Contact, existing: bool = False) -> None:
        name, ok = QInputDialog.getText(self, "Contact", "Name:", text=contact.name)
        if not ok or not name.strip():
            return
        uri, ok = QInputDialog.getText(self, "Contact", "Number or SIP address:", text=contact.uri)
        if not ok or not uri.strip():
            return
        contact.name, contact.uri = name.strip(), uri.strip()
        if existing:
            self.contacts.save()
            self.show_contacts()
            self.contacts_changed.emit()
        else:
            self.add_contact(contact)

    def _delete_contact(self) -> None:
        contact = self.contact_at(self.contact_table.currentRow())
        if contact is not None:
            self.contacts.remove(contact)
            self.show_contacts()
            self.contacts_changed.emit()

    def _call_contact(self, row: int) -> None:
        contact = self.contact_at(row)
        if contact is not None:
            self.call_requested.emit(contact.uri)
