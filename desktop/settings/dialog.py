"""The settings dialog: pages edit a copy; OK checks it, stores secrets in the keyring and puts the
copy in use through the settings store, which saves only what differs from the settings in use (an
`EARPIECE_...` override the user did not touch never lands in the file)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QMessageBox, QTabWidget, QVBoxLayout, QWidget

from earpiece.core.secrets import SecretStoreUnavailableError, keyring_usable
from earpiece.core.settings import Settings, SettingsStore
from earpiece.desktop.settings.accounts_page import AccountsPage
from earpiece.desktop.settings.ai_page import AiPage
from earpiece.desktop.settings.audio_page import AudioPage
from earpiece.desktop.settings.network_page import NetworkPage
from earpiece.desktop.settings.page import SettingsPage, scrolling
from earpiece.desktop.settings.turn_taking_page import TurnTakingPage
from earpiece.desktop.unsaved_settings import NOT_SAVED_LOOK, not_saved_because

log = logging.getLogger(__name__)

SIZE = (640, 560)  # the dialog's size when the screen has room for it


class SettingsDialog(QDialog):
    def __init__(self, store: SettingsStore, parent: QWidget | None = None,
                 knowledge_bases: Sequence[str] = ()) -> None:
        super().__init__(parent)
        self.setWindowTitle("Earpiece settings")
        self.settings_store = store
        settings = store.current
        self.accounts = AccountsPage()
        self.accounts.set_knowledge_bases(list(knowledge_bases))
        self.audio = AudioPage()
        self.ai = AiPage()
        self.turn_taking = TurnTakingPage()
        self.network = NetworkPage()
        self.pages: list[SettingsPage] = [self.accounts, self.audio, self.ai, self.turn_taking, self.network]
        self.tabs = QTabWidget()
        for page in self.pages:
            page.load(settings)
            # a page scrolls rather than make the dialog taller than a small screen (1024x640)
            self.tabs.addTab(scrolling(page), page.title.replace("&", "&&"))  # "&" alone is a Qt mnemonic
        ok_cancel = QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        buttons = QDialogButtonBox(ok_cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        not_saved = not_saved_because(store)
        if not_saved is not None:
            banner = QLabel(not_saved)
            banner.setObjectName("not-saved")
            banner.setWordWrap(True)
            banner.setTextFormat(Qt.TextFormat.PlainText)
            banner.setStyleSheet(NOT_SAVED_LOOK)
            layout.addWidget(banner)
        layout.addWidget(self.tabs)
        layout.addWidget(buttons)
        screen = parent.screen() if parent is not None else QGuiApplication.primaryScreen()
        room = screen.availableGeometry()
        self.resize(min(SIZE[0], room.width()), min(SIZE[1], room.height()))

    def save(self) -> Settings:
        """Validate, store the secrets, put the settings in use and save what changed; raises
        ValueError with what to fix, OSError when the file cannot be written."""
        problems = [p for page in self.pages for p in page.problems()]
        if problems:
            raise ValueError("\n".join(problems))
        updated = self.settings_store.current.model_copy(deep=True)
        for page in self.pages:
            page.apply(updated)
        # re-check every field's type and range (with the settings' own class: one that started without
        # the file, as it could not be used, does not read it)
        updated = type(updated).model_validate(updated.model_dump())
        if keyring_usable():  # otherwise the secret fields are read-only: nothing was typed
            for page in self.pages:
                page.store_secrets()
        return self.settings_store.replace(updated)

    def accept(self) -> None:
        try:
            self.save()
        except (ValueError, SecretStoreUnavailableError, OSError) as exc:
            QMessageBox.warning(self, "Settings not saved", str(exc))
            return
        super().accept()
