"""Every test runs with its own config, data, log and cache folders and a test keyring."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.keyring_backend import FileTestKeyring

# Headless Qt for every test that does not start its own X server.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Nothing in a test may reach a model hub.
os.environ["HF_HUB_OFFLINE"] = "1"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "earpiece-home"
    for name in ("CONFIG", "DATA", "LOG", "CACHE"):
        monkeypatch.setenv(f"EARPIECE_{name}_DIR", str(home / name.lower()))
    monkeypatch.setenv("EARPIECE_TEST_KEYRING_FILE", str(home / "keyring.json"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.keyring_backend.FileTestKeyring")
    previous = keyring.get_keyring()
    keyring.set_keyring(FileTestKeyring())
    yield home
    keyring.set_keyring(previous)
