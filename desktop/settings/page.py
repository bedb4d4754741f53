"""What every settings page does: show a copy of the settings, write its fields back, store secrets."""

from __future__ import annotations

from PySide6.QtWidgets import QLineEdit, QWidget

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


def secret_field(name: str) -> QLineEdit:
    """A password field whose placeholder tells whether the keyring already holds the secret."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setPlaceholderText(secret_placeholder(name))
    return field


def secret_placeholder(name: str) -> str:
    try:
        secrets.get_secret(name)
    except secrets.SecretMissingError:
        return "not set"
    except secrets.SecretStoreUnavailableError:
        return "no keyring available"
    return "stored in the keyring (type to replace)"
