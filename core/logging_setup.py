"""A rotating log file in the platform log folder, with secrets redacted from every line."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from earpiece.core.paths import log_dir
from earpiece.core.redaction import RedactingFilter

LOG_FILE = "earpiece.log"
_FORMAT = "%(asctime)s %(levelname)-7s %(threadName)s %(name)s: %(message)s"


def setup_logging(level: str = "INFO", *, console: bool = False) -> Path:
    """Configure the root logger once; returns the log file's path."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}: use DEBUG, INFO, WARNING or ERROR")
    path = log_dir() / LOG_FILE
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_earpiece", False):
            root.removeHandler(handler)
            handler.close()
    handlers: list[logging.Handler] = [
        logging.handlers.RotatingFileHandler(path, maxBytes=5_000_000, backupCount=5, encoding="utf-8")
    ]
    if console:
        handlers.append(logging.StreamHandler())
        handlers[-1].setLevel(logging.WARNING)
    for handler in handlers:
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.addFilter(RedactingFilter())
        handler._earpiece = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(numeric)
    return path
