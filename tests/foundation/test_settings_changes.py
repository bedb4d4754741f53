"""Saving writes only what the user changed: an `EARPIECE_...` override or a default the user did not
touch never lands in the settings file, and what the file held before is kept. A change of settings
is an event (`SettingsStore`): the new settings replace the old ones for every subscriber."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from earpiece.core.settings import (
    AccountSettings,
    CallMode,
    Settings,
    SettingsChanged,
    SettingsFileError,
    SettingsStore,
    load_settings,
    save_settings,
    settings_path,
)


def test_an_environment_override_is_not_written_when_the_user_changes_something_else(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EARPIECE_LLM__PROVIDERS", '["groq", "offline"]')
    loaded = load_settings()
    changed = loaded.model_copy(deep=True)
    changed.ui.default_mode = CallMode.AUTONOMOUS
    save_settings(changed, loaded=loaded)
    assert json.loads(settings_path().read_text()) == {"ui": {"default_mode": "autonomous"}}
    monkeypatch.delenv("EARPIECE_LLM__PROVIDERS")
    again = load_settings()
    assert again.llm.providers == Settings().llm.providers == ["offline"]
    assert again.ui.default_mode is CallMode.AUTONOMOUS


def test_what_the_file_held_is_kept_and_a_changed_override_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings_path().write_text(json.dumps({"vad": {"end_of_turn_ms": 450}, "log_level": "DEBUG"}))
    monkeypatch.setenv("EARPIECE_TTS__SPEAKING_RATE", "1.3")
    loaded = load_settings()
    changed = loaded.model_copy(deep=True)
    changed.sip.accounts.append(AccountSettings(id="work", username="alice", domain="pbx.example"))
    changed.tts.speaking_rate = 0.9  # the user chose a value while the override was set
    changed.log_level = "INFO"  # back to the default: the user's choice, written
    save_settings(changed, loaded=loaded)
    saved = json.loads(settings_path().read_text())
    assert saved["vad"] == {"end_of_turn_ms": 450} and saved["log_level"] == "INFO"
    assert saved["tts"] == {"speaking_rate": 0.9}
    assert [a["username"] for a in saved["sip"]["accounts"]] == ["alice"]
    assert set(saved) == {"vad", "log_level", "tts", "sip"}, "untouched defaults are not written"
    assert set(saved["sip"]) == {"accounts"}


def test_without_the_loaded_settings_everything_is_written() -> None:
    save_settings(Settings())
    assert set(json.loads(settings_path().read_text())) == set(Settings.model_fields)


def test_the_store_saves_a_change_and_tells_every_subscriber_instead_of_swapping_in_place() -> None:
    store = SettingsStore(load_settings())
    before = store.current
    seen: list[SettingsChanged] = []
    stop = store.subscribe(seen.append)
    wanted = before.model_copy(deep=True)
    wanted.calls.goodbye = "Bye now."
    new = store.replace(wanted)
    (event,) = seen
    assert event.old is before and event.new is new is store.current
    assert event.sections == {"calls"} and new.calls.goodbye == "Bye now."
    assert before.calls.goodbye != "Bye now.", "whoever holds the old settings sees them unchanged"
    assert json.loads(settings_path().read_text()) == {"calls": {"goodbye": "Bye now."}}
    stop()
    store.replace(before)
    assert len(seen) == 1, "unsubscribed"


def test_the_store_refuses_invalid_settings_and_keeps_the_current_ones() -> None:
    store = SettingsStore(load_settings())
    current = store.current
    seen: list[SettingsChanged] = []
    store.subscribe(seen.append)
    bad = current.model_copy(deep=True)
    bad.vad.aggressiveness = 9  # assignment is not validated: the store checks
    with pytest.raises(ValidationError, match="aggressiveness"):
        store.replace(bad)
    assert store.current is current and not seen and not settings_path().exists()


@pytest.mark.parametrize("broken", ["{not json", "[1, 2]", "\udcff", '{"vad": {"aggressiveness": 9}}'])
def test_a_file_broken_while_running_is_named_and_left_as_it_is(broken: str) -> None:
    loaded = load_settings()
    settings_path().write_bytes(b"\xff{" if broken == "\udcff" else broken.encode())
    before = settings_path().read_bytes()
    changed = loaded.model_copy(deep=True)
    changed.ui.default_mode = CallMode.AUTONOMOUS
    with pytest.raises(SettingsFileError, match=str(settings_path())):
        SettingsStore(loaded).replace(changed)
    assert settings_path().read_bytes() == before
