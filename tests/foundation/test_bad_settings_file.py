"""A wrong settings.json stops every `earpiece` command with a message naming the file, the field
and what is wrong (exit code 2, no traceback), and the file stays as it was."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from earpiece.cli import BAD_SETTINGS, main
from earpiece.core.settings import settings_path

# (file content, what the message must say about it)
BAD_FILES = {
    "invalid JSON": ('{"calls": {"shutdown_grace_s": 5}\n  "log_level": "INFO"}\n',
                     ("not valid JSON", "line 2")),
    "wrong type": ('{"calls": {"shutdown_grace_s": "soon"}, "analytics": {"retention_days": -3}}',
                   ("calls.shutdown_grace_s", "valid number", "'soon'",
                    "analytics.retention_days", "greater than or equal to 0")),
    "not an object": ("[1, 2]", ("one JSON object",)),
}


def _bad_file(content: str) -> Path:
    path = settings_path()
    path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_a_command_names_the_file_the_field_and_the_fault(
        kind: str, capsys: pytest.CaptureFixture[str]) -> None:
    content, said = BAD_FILES[kind]
    path = _bad_file(content)
    assert main(["doctor"]) == BAD_SETTINGS
    message = capsys.readouterr().err
    assert str(path) in message and "left as it is" in message
    for words in said:
        assert words in message, message
    assert path.read_text(encoding="utf-8") == content


def test_an_environment_override_is_named_as_such(capsys: pytest.CaptureFixture[str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARPIECE_ANALYTICS__RETENTION_DAYS", "-1")
    assert main(["ask", "anything"]) == BAD_SETTINGS
    assert "environment variable EARPIECE_ANALYTICS__RETENTION_DAYS" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["invalid JSON", "wrong type"])
def test_the_installed_command_exits_2_without_a_traceback(kind: str) -> None:
    content, said = BAD_FILES[kind]
    path = _bad_file(content)
    done = subprocess.run([sys.executable, "-m", "earpiece", "calls", "list"], capture_output=True, text=True,
                          env=os.environ.copy(), timeout=60)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and str(path) in done.stderr and said[0] in done.stderr
    assert path.read_text(encoding="utf-8") == content
