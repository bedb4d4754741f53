"""The settings store (`earpiece.core.settings.SettingsStore`) as the window's parts see it.

Settings are never changed in place: a change is a new `Settings` handed to the store, which checks
it, writes only what differs from the settings in use (so an `EARPIECE_...` override or an untouched
default never lands in the file) and announces a `SettingsChanged`. `SettingsSignals.changed`
carries that announcement to Qt slots, which Qt disconnects when their object is destroyed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal

from earpiece.core.settings import Settings, SettingsStore


class SettingsSignals(QObject):
    changed = Signal(object)  # SettingsChanged

    def __init__(self, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings_store = store
        store.subscribe(self.changed.emit)

    @property
    def current(self) -> Settings:
        return self.settings_store.current

    def change(self, section: str, **fields: Any) -> Settings:
        """Put settings with `fields` of one section (`ui`, `audio`...) changed in use, and save
        that change only. Raises `ValidationError` for a bad value, `OSError` when the file
        cannot be written (the new settings are not in use then)."""
        return self.settings_store.replace(with_section(self.settings_store.current, section, **fields))


def with_section(settings: Settings, section: str, **fields: Any) -> Settings:
    """A copy of `settings` with `fields` of one section changed (`settings` stays as it was)."""
    part = getattr(settings, section).model_copy(update=fields)
    return settings.model_copy(update={section: part})
