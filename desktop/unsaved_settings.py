"""Settings for a session started with the defaults because `settings.json` could not be used.

The user chose "Start with default settings" in the start-up question (`bad_settings_dialog`): the
app runs on the defaults (and any `EARPIECE_...` overrides), the file is never read again and never
written, so it stays exactly as the user left it. Changes made in such a session are in use until
Earpiece quits but are not saved: writing them over the file, even after the user mended it, would
put this session's lists (accounts, providers) in place of the file's.
"""

from __future__ import annotations

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from earpiece.core.settings import Settings, SettingsStore

# The look of "not saved" where the window and the Settings dialog say it: a warning's amber.
NOT_SAVED_LOOK = "color: #7a4f01; background-color: #fff3cd; padding: 2px 6px;"


class SettingsWithoutFile(Settings):
    """The defaults and `EARPIECE_...` environment overrides only; the settings file is not read
    (also when a change is checked: `SettingsStore.replace` validates with the settings' own class)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings


class SessionOnlySettingsStore(SettingsStore):
    """Puts changes in use as `SettingsStore` does, but never saves them; `why` says why, for the
    window and the Settings dialog to show."""

    def __init__(self, settings: Settings, why: str) -> None:
        super().__init__(settings)
        self.why = why

    def replace(self, wanted: Settings, *, save: bool = True) -> Settings:
        return super().replace(wanted, save=False)


def not_saved_because(store: SettingsStore) -> str | None:
    """Why changes to `store`'s settings are not saved this session, or None when they are."""
    return store.why if isinstance(store, SessionOnlySettingsStore) else None
