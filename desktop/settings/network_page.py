"""Network and security of the SIP transports (per-account security is on the Accounts page)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QFormLayout, QLabel, QLineEdit, QSpinBox, QWidget

from earpiece.core.settings import Settings
from earpiece.desktop.settings.page import SettingsPage


def _port() -> QSpinBox:
    box = QSpinBox()
    box.setRange(0, 65535)
    box.setToolTip("0 = any free port")
    return box


class NetworkPage(SettingsPage):
    title = "Network & security"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.bind_address = QLineEdit()
        self.udp_port = _port()
        self.enable_tcp = QCheckBox("Enable SIP over TCP")
        self.tcp_port = _port()
        self.enable_tls = QCheckBox("Enable SIP over TLS")
        self.tls_port = _port()
        self.stun_servers = QLineEdit()
        self.stun_servers.setPlaceholderText("stun.example.com:3478, ...")
        note = QLabel("Who may call you directly, transfer requests, TLS verification and SRTP are set "
                      "per account on the Accounts page.")
        note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("Bind address", self.bind_address)
        form.addRow("UDP port", self.udp_port)
        form.addRow(self.enable_tcp, self.tcp_port)
        form.addRow(self.enable_tls, self.tls_port)
        form.addRow("STUN servers", self.stun_servers)
        form.addRow(note)

    def load(self, settings: Settings) -> None:
        sip = settings.sip
        self.bind_address.setText(sip.bind_address)
        self.udp_port.setValue(sip.udp_port)
        self.enable_tcp.setChecked(sip.enable_tcp)
        self.tcp_port.setValue(sip.tcp_port)
        self.enable_tls.setChecked(sip.enable_tls)
        self.tls_port.setValue(sip.tls_port)
        self.stun_servers.setText(", ".join(sip.stun_servers))

    def apply(self, settings: Settings) -> None:
        sip = settings.sip
        sip.bind_address = self.bind_address.text().strip() or "0.0.0.0"
        sip.udp_port = self.udp_port.value()
        sip.enable_tcp = self.enable_tcp.isChecked()
        sip.tcp_port = self.tcp_port.value()
        sip.enable_tls = self.enable_tls.isChecked()
        sip.tls_port = self.tls_port.value()
        sip.stun_servers = [s.strip() for s in self.stun_servers.text().split(",") if s.strip()]
