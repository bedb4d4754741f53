from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from earpiece.core import secrets


def test_secret_round_trip_through_keyring() -> None:
    secrets.set_secret("sip:work", "s3cret-pw")
    assert secrets.get_secret("sip:work") == "s3cret-pw"
    secrets.delete_secret("sip:work")
    with pytest.raises(secrets.SecretMissingError, match="EARPIECE_SECRET_SIP_WORK"):
        secrets.get_secret("sip:work")


def test_environment_variable_overrides_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    secrets.set_secret("groq", "from-keyring")
    monkeypatch.setenv("EARPIECE_SECRET_GROQ", "from-env")
    assert secrets.get_secret("groq") == "from-env"


def test_no_usable_backend_is_a_clear_error_and_no_plain_text_fallback(isolated_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    with pytest.raises(secrets.SecretStoreUnavailableError, match="EARPIECE_SECRET_SIP_WORK"):
        secrets.set_secret("sip:work", "pw-that-must-not-land-anywhere")
    with pytest.raises(secrets.SecretStoreUnavailableError, match="Secret Service"):
        secrets.get_secret("sip:work")
    written = [p for p in isolated_home.rglob("*") if p.is_file()]
    assert all("pw-that-must-not-land-anywhere" not in p.read_text(errors="ignore") for p in written)
