import json

import pytest
from pydantic import ValidationError

from earpiece.core.settings import (
    AccountSettings,
    CallMode,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_defaults_work_offline():
    settings = load_settings()
    assert settings.llm.providers == ["offline"]
    assert settings.tts.providers == ["piper"]
    assert settings.stt.model == "tiny.en"


def test_saved_settings_round_trip_without_secrets():
    settings = load_settings()
    settings.sip.accounts.append(AccountSettings(id="work", username="alice", domain="pbx.example"))
    settings.ui.default_mode = CallMode.AUTONOMOUS
    path = save_settings(settings)
    assert path == settings_path()
    again = load_settings()
    assert again.sip.accounts[0].username == "alice"
    assert again.ui.default_mode is CallMode.AUTONOMOUS
    assert "password" not in path.read_text()


def test_environment_overrides_the_file(monkeypatch):
    save_settings(Settings(llm={"providers": ["offline"]}))
    monkeypatch.setenv("EARPIECE_LLM__PROVIDERS", '["groq", "offline"]')
    monkeypatch.setenv("EARPIECE_VAD__END_OF_TURN_MS", "450")
    settings = load_settings()
    assert settings.llm.providers == ["groq", "offline"]
    assert settings.vad.end_of_turn_ms == 450


def test_invalid_values_are_rejected_with_the_field_named():
    settings_path().write_text(json.dumps({"vad": {"aggressiveness": 9}}))
    with pytest.raises(ValidationError, match="aggressiveness"):
        load_settings()
