"""What every settings page does: show a copy of the settings, write its fields back, store secrets."""

from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLineEdit, QScrollArea, QWidget

from earpiece.core import secrets
from earpiece.core.settings import Settings


class SettingsPage(QWidget):
    title = ""

    def load(self, settings: Settings) -> None:
        raise NotImplementedError

    def apply(self, settings: Settings) -> None:
        """Write this page's fields into `settings` (a copy owned by the dialog)."""
        raise NotImplementedError

    def store_secrets(self) -> None:
        """Save secrets typed on this page to the keyring (only after the dialog is accepted)."""

    def problems(self) -> list[str]:
        """What must be fixed before the settings can be saved (shown to the user)."""
        return []


def scrolling(content: QWidget) -> QScrollArea:
    """`content` in a frameless area that scrolls up and down, so a long page scrolls on a small
    screen (1024x640) instead of making the Settings dialog taller than the screen. It is never
    narrower than the content (no sideways scrolling: width is not what a small screen lacks)."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setWidget(content)
    area.setMinimumWidth(content.minimumSizeHint().width() + area.verticalScrollBar().sizeHint().width())
    return area


def secret_field(name: str) -> QLineEdit:
    """A password field that says where the secret `name` comes from (see `show_secret_state`)."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    show_secret_state(field, name)
    return field


def show_secret_state(field: QLineEdit, name: str) -> None:
    """Tell in the field where the secret is. Without a usable OS keyring nothing typed could be
    kept (there is no plain-text fallback), so the field is read-only and says how to provide the
    secret instead, and the rest of the settings still save."""
    usable = secrets.keyring_usable()
    if not usable:
        field.clear()
    field.setReadOnly(not usable)
    field.setPlaceholderText(secret_placeholder(name))
    field.setToolTip(
        "Kept in the OS keyring, never in the settings file."
        if usable
        else f"No usable OS keyring on this machine. Unlock or install a Secret Service keyring "
        f"(GNOME Keyring, KWallet), or start Earpiece with the environment variable "
        f"{secrets.env_name(name)} set to the secret."
    )


def secret_placeholder(name: str) -> str:
    if os.environ.get(secrets.env_name(name)):
        return f"set by {secrets.env_name(name)}"
    try:
        secrets.get_secret(name)
    except secrets.SecretMissingError:
        return "not set"
    except secrets.SecretStoreUnavailableError:
        return f"no OS keyring: set {secrets.env_name(name)} instead"
    return "stored in the keyring (type to replace)"
