"""Where to transfer a call: a contact from the list, or any number or SIP address typed in."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QComboBox, QDialog, QDialogButtonBox, QFormLayout, QWidget

from earpiece.desktop.contacts import Contact


class TransferDialog(QDialog):
    def __init__(self, who: str, contacts: Sequence[Contact], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Transfer the call")
        self.target = QComboBox()
        self.target.setEditable(True)
        self.target.setPlaceholderText("Contact, number or sip:user@host")
        for contact in sorted(contacts, key=lambda c: c.name.lower()):
            label = f"{contact.name} <{contact.uri}>" if contact.name else contact.uri
            self.target.addItem(label, contact.uri)
        self.target.setCurrentIndex(-1)
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        self.buttons = QDialogButtonBox(ok_cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout(self)
        form.addRow(f"Transfer {who} to:", self.target)
        form.addRow(self.buttons)

    def choose(self, uri: str) -> None:
        index = self.target.findData(uri)
        self.target.setCurrentIndex(index) if index >= 0 else self.target.setEditText(uri)

    def destination(self) -> str:
        """The chosen contact's address, or the text typed in."""
        text = self.target.currentText().strip()
        index = self.target.currentIndex()
        if index >= 0 and self.target.itemText(index) == text:
            return str(self.target.itemData(index))
        return text
