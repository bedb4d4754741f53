"""Accounts: SIP identities; passwords go to the keyring as `sip:<id>`, never into the file."""

from __future__ import annotations

import re

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from earpiece.core import secrets
from earpiece.core.settings import AccountSettings, CallMode, Settings, SrtpPolicy, Transport
from earpiece.desktop.settings.page import SettingsPage, scrolling, show_secret_state

_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def _label(account_id: str, username: str, domain: str) -> str:
    if username and domain:
        return f"{account_id}: {username}@{domain}"
    return f"{account_id} (user name and domain still to fill in)"


DEFAULT_KB_LABEL = "Default knowledge base"

class AccountsPage(SettingsPage):
    title = "Accounts"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.accounts: list[AccountSettings] = []
        self.passwords: dict[str, str] = {}  # account id -> typed password, saved on accept
        self.removed: set[str] = set()
        self._current = -1

        self.list = QListWidget()
        self.list.currentRowChanged.connect(self._select)
        add = QPushButton("Add")
        add.clicked.connect(self.add_account)
        remove = QPushButton("Remove")
        remove.clicked.connect(self.remove_account)
        left = QVBoxLayout()
        left.addWidget(self.list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        left.addLayout(buttons)

        self.id = QLineEdit()
        self.id.setToolTip("A short name for this account (letters, digits, . _ -)")
        self.display_name = QLineEdit()
        self.username = QLineEdit()
        self.domain = QLineEdit()
        for field in (self.id, self.username, self.domain):
            field.textEdited.connect(self._follow_typing)
        self.registrar = QLineEdit()
        self.registrar.setPlaceholderText("sip:<domain>")
        self.proxy = QLineEdit()
        self.transport = QComboBox()
        for transport in Transport:
            self.transport.addItem(transport.value.upper(), transport.value)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.registration = QCheckBox("Register with the registrar")
        self.default_mode = QComboBox()
        for mode in CallMode:
            self.default_mode.addItem(mode.value.capitalize(), mode.value)
        self.handover_uri = QLineEdit()
        self.handover_uri.setPlaceholderText("e.g. 200 or sip:team@pbx.example")
        self.knowledge_base = QComboBox()
        self.knowledge_base.setEditable(True)  # a knowledge base still to be created may be named
        self.knowledge_base.setToolTip("The knowledge base this account's calls search; a change "
                                       "applies from the next call")
        self.set_knowledge_bases([])
        self.auto_answer = QCheckBox("Answer automatically after")
        self.auto_answer_s = QDoubleSpinBox()
        self.auto_answer_s.setRange(0, 60)
        self.auto_answer_s.setSuffix(" s")
        auto = QHBoxLayout()
        auto.addWidget(self.auto_answer)
        auto.addWidget(self.auto_answer_s)
        auto.addStretch(1)
        self.allow_direct_calls = QCheckBox("Accept calls that do not come through the registrar/proxy")
        self.allow_transfer_requests = QCheckBox("Let the other party transfer my calls (incoming REFER)")
        self.tls_verify_server = QCheckBox("Verify the server's TLS certificate")
        self.srtp = QComboBox()
        for policy in SrtpPolicy:
            self.srtp.addItem(f"SRTP {policy.value}", policy.value)
        security = QGroupBox("Security")
        security_form = QVBoxLayout(security)
        for widget in (self.allow_direct_calls, self.allow_transfer_requests, self.tls_verify_server,
                       self.srtp):
            security_form.addWidget(widget)
        self.form_host = QWidget()
        form = QFormLayout(self.form_host)
        form.addRow("Account id", self.id)
        form.addRow("Display name", self.display_name)
        form.addRow("User name", self.username)
        form.addRow("Domain", self.domain)
        form.addRow("Password", self.password)
        form.addRow("Registrar", self.registrar)
        form.addRow("Outbound proxy", self.proxy)
        form.addRow("Transport", self.transport)
        form.addRow("", self.registration)
        form.addRow("Default mode", self.default_mode)
        form.addRow("", auto)
        form.addRow("Hand callers over to", self.handover_uri)
        form.addRow("Knowledge base", self.knowledge_base)
        form.addRow(security)

        layout = QHBoxLayout(self)
        layout.addLayout(left, 1)
        layout.addWidget(scrolling(self.form_host), 2)  # the list and its buttons stay in view

    def set_knowledge_bases(self, names: list[str]) -> None:
        chosen = self._chosen_knowledge_base() if self.knowledge_base.count() else ""
        self.knowledge_base.clear()
        self.knowledge_base.addItem(DEFAULT_KB_LABEL, "")
        for name in names:
            self.knowledge_base.addItem(name, name)
        self._show_knowledge_base(chosen)

    def _show_knowledge_base(self, name: str) -> None:
        index = self.knowledge_base.findData(name)
        if index < 0:
            self.knowledge_base.addItem(name, name)
            index = self.knowledge_base.count() - 1
        self.knowledge_base.setCurrentIndex(index)

    def _chosen_knowledge_base(self) -> str:
        text = self.knowledge_base.currentText().strip()
        return "" if text == DEFAULT_KB_LABEL else text

    def load(self, settings: Settings) -> None:
        self.accounts = [a.model_copy(deep=True) for a in settings.sip.accounts]
        self.list.clear()
        self.list.addItems([self._label(a) for a in self.accounts])
        self._current = -1
        self.form_host.setEnabled(bool(self.accounts))
        if self.accounts:
            self.list.setCurrentRow(0)

    def apply(self, settings: Settings) -> None:
        self._save_form()
        settings.sip.accounts = [a.model_copy(deep=True) for a in self.accounts]

    def problems(self) -> list[str]:
        self._save_form()
        found = []
        ids = [a.id for a in self.accounts]
        for account in self.accounts:
            if not _ID.match(account.id):
                found.append(f"Account id {account.id!r}: use 1-64 letters, digits, '.', '_' or '-'.")
            if not account.username or not account.domain:
                found.append(f"Account {account.id!r}: user name and domain are required.")
        if len(set(ids)) != len(ids):
            found.append("Two accounts have the same id.")
        return found

    def store_secrets(self) -> None:
        for account_id in self.removed - {a.id for a in self.accounts}:
            secrets.delete_secret(f"sip:{account_id}")
        for account_id, password in self.passwords.items():
            if password:
                secrets.set_secret(f"sip:{account_id}", password)

    def add_account(self) -> None:
        self._save_form()
        n = len(self.accounts) + 1
        while any(a.id == f"account{n}" for a in self.accounts):
            n += 1
        self.accounts.append(AccountSettings(id=f"account{n}", username="", domain=""))
        self.list.addItem(self._label(self.accounts[-1]))
        self.form_host.setEnabled(True)
        self.list.setCurrentRow(len(self.accounts) - 1)

    def remove_account(self) -> None:
        row = self.list.currentRow()
        if row < 0:
            return
        self._current = -1  # the form's values belong to the removed account
        removed = self.accounts.pop(row)
        self.removed.add(removed.id)
        self.passwords.pop(removed.id, None)
        self.list.takeItem(row)
        self.form_host.setEnabled(bool(self.accounts))

    @staticmethod
    def _label(account: AccountSettings) -> str:
        return _label(account.id, account.username, account.domain)

    def _follow_typing(self) -> None:
        item = self.list.item(self._current)
        if item is not None:
            fields = (self.id, self.username, self.domain)
            item.setText(_label(*(field.text().strip() for field in fields)))

    def _select(self, row: int) -> None:
        self._save_form()
        self._current = row
        if row < 0 or row >= len(self.accounts):
            return
        a = self.accounts[row]
        self.id.setText(a.id)
        self.display_name.setText(a.display_name)
        self.username.setText(a.username)
        self.domain.setText(a.domain)
        self.registrar.setText(a.registrar)
        self.proxy.setText(a.proxy)
        self.transport.setCurrentIndex(self.transport.findData(a.transport.value))
        self.registration.setChecked(a.registration)
        self.default_mode.setCurrentIndex(self.default_mode.findData(a.default_mode.value))
        self.auto_answer.setChecked(a.auto_answer_s is not None)
        self.auto_answer_s.setValue(a.auto_answer_s or 0.0)
        self.handover_uri.setText(a.handover_uri)
        self._show_knowledge_base(a.knowledge_base)
        self.allow_direct_calls.setChecked(a.allow_direct_calls)
        self.allow_transfer_requests.setChecked(a.allow_transfer_requests)
        self.tls_verify_server.setChecked(a.tls_verify_server)
        self.srtp.setCurrentIndex(self.srtp.findData(a.srtp.value))
        self.password.setText(self.passwords.get(a.id, ""))
        show_secret_state(self.password, f"sip:{a.id}")

    def _save_form(self) -> None:
        row = self._current
        if row < 0 or row >= len(self.accounts):
            return
        old = self.accounts[row]
        new_id = self.id.text().strip()
        self.passwords.pop(old.id, None)  # a cleared field forgets what was typed before
        if self.password.text():
            self.passwords[new_id] = self.password.text()
        if new_id != old.id:
            self.removed.add(old.id)
        self.accounts[row] = old.model_copy(update={
            "id": new_id,
            "display_name": self.display_name.text().strip(),
            "username": self.username.text().strip(),
            "domain": self.domain.text().strip(),
            "registrar": self.registrar.text().strip(),
            "proxy": self.proxy.text().strip(),
            "transport": Transport(self.transport.currentData()),
            "registration": self.registration.isChecked(),
            "default_mode": CallMode(self.default_mode.currentData()),
            "auto_answer_s": self.auto_answer_s.value() if self.auto_answer.isChecked() else None,
            "handover_uri": self.handover_uri.text().strip(),
            "knowledge_base": self._chosen_knowledge_base(),
            "allow_direct_calls": self.allow_direct_calls.isChecked(),
            "allow_transfer_requests": self.allow_transfer_requests.isChecked(),
            "tls_verify_server": self.tls_verify_server.isChecked(),
            "srtp": SrtpPolicy(self.srtp.currentData()),
        })
        item = self.list.item(row)
        if item is not None:
            item.setText(self._label(self.accounts[row]))
