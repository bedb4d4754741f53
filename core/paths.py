"""Where Earpiece keeps its files: the platform folders, overridable for tests and headless nodes."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "earpiece"


def _folder(env_name: str, default: str) -> Path:
    path = Path(os.environ.get(env_name) or default)
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    """Settings (`settings.json`). Override with EARPIECE_CONFIG_DIR."""
    return _folder("EARPIECE_CONFIG_DIR", platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Knowledge stores, call records, transcripts. Override with EARPIECE_DATA_DIR."""
    return _folder("EARPIECE_DATA_DIR", platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Rotating log files. Override with EARPIECE_LOG_DIR."""
    return _folder("EARPIECE_LOG_DIR", platformdirs.user_log_dir(APP_NAME))


def cache_dir() -> Path:
    """Derived files that can be recreated (joined model parts). Override with EARPIECE_CACHE_DIR."""
    return _folder("EARPIECE_CACHE_DIR", platformdirs.user_cache_dir(APP_NAME))


def resources_dir() -> Path:
    """The read-only files shipped with the app (sample knowledge base, sounds, icons)."""
    return Path(__file__).resolve().parent.parent / "resources"
