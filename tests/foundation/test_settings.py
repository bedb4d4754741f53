import json

import pytest
from pydantic import ValidationError

from earpiece.core.settings import (
    AccountSettings,
    CallMode,
    LlmSettings,
    Settings,
    load_settings,
    save_settings,
    settings_path,
)


def test_defaults_work_offline() -> None:
    settings = load_settings()
    assert settings.llm.providers == ["offline"]
    assert settings.tts.providers == ["hibari", "piper"]
    assert settings.stt.model == "moonshine-tiny"


def test_saved_settings_round_trip_without_secrets() -> None:
    settings = load_settings()
    settings.sip.accounts.append(AccountSettings(id="work", username="alice", domain="pbx.example"))
    settings.ui.default_mode = CallMode.AUTONOMOUS
    path = save_settings(settings)
    assert path == settings_path()
    again = load_settings()
    assert again.sip.accounts[0].username == "alice"
    assert again.ui.default_mode is CallMode.AUTONOMOUS
    fields = _keys(json.loads(path.read_text()))
    assert not [key for key in fields if "password" in key or key.endswith(("api_key", "secret"))]


def _keys(node: object) -> list[str]:
    """Every field name in a JSON document (values such as the intents' example phrases may say
    "password"; no field may hold one)."""
    if isinstance(node, dict):
        return [str(k) for k in node] + [key for v in node.values() for key in _keys(v)]
    if isinstance(node, list):
        return [key for v in node for key in _keys(v)]
    return []


def test_environment_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    save_settings(Settings(llm=LlmSettings(providers=["offline"])))
    monkeypatch.setenv("EARPIECE_LLM__PROVIDERS", '["groq", "offline"]')
    monkeypatch.setenv("EARPIECE_VAD__END_OF_TURN_MS", "450")
    settings = load_settings()
    assert settings.llm.providers == ["groq", "offline"]
    assert settings.vad.end_of_turn_ms == 450


def test_invalid_values_are_rejected_with_the_field_named() -> None:
    settings_path().write_text(json.dumps({"vad": {"aggressiveness": 9}}))
    with pytest.raises(ValidationError, match="aggressiveness"):
        load_settings()


@pytest.mark.parametrize(
    ("section", "field", "value"),
    [
        ("llm", "timeout_s", -1), ("llm", "max_tokens", 0), ("llm", "temperature", 5),
        ("tts", "edge_timeout_s", 0), ("tts", "speaking_rate", 0), ("stt", "beam_size", 0),
        ("stt", "no_speech_threshold", 2), ("knowledge", "top_k", 0), ("knowledge", "min_score", 1.5),
        ("vad", "end_of_turn_ms", 0), ("vad", "barge_in_min_ms", -20), ("vad", "preroll_ms", -1),
        ("sip", "udp_port", 70000), ("sip", "tls_port", -1),
    ],
)
def test_a_number_no_call_could_work_with_is_rejected_with_the_field_named(
    section: str, field: str, value: float
) -> None:
    """Caught when the file is read, with the field named, not later in a call."""
    settings_path().write_text(json.dumps({section: {field: value}}))
    with pytest.raises(ValidationError, match=rf"{section}\.{field}\b"):
        load_settings()
