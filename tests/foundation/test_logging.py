import logging

from earpiece.core import secrets
from earpiece.core.logging_setup import setup_logging


def test_log_file_is_written_and_secrets_are_redacted() -> None:
    path = setup_logging("DEBUG")
    secrets.set_secret("sip:work", "hunter2-pw")
    log = logging.getLogger("earpiece.test")
    log.info("registering with password %s", "hunter2-pw")
    log.info('Authorization: Digest username="alice", response="6629fae49393a05397450978507c4ef1"')
    log.info("groq key gsk_abcdefghijklmnopqrstuvwxyz012345 loaded")
    for handler in logging.getLogger().handlers:
        handler.flush()
    text = path.read_text()
    assert "registering with password" in text
    assert "hunter2-pw" not in text
    assert "6629fae49393a05397450978507c4ef1" not in text
    assert "gsk_abcdefghijklmnopqrstuvwxyz012345" not in text
    assert text.count("***") >= 3


def test_unknown_level_is_a_clear_error() -> None:
    import pytest

    with pytest.raises(ValueError, match="unknown log level"):
        setup_logging("LOUD")
