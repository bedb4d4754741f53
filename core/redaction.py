"""Keeps secrets out of log lines: every secret Earpiece reads or stores is registered here, and
credential-shaped text (digest responses, bearer tokens, API keys, password fields) is masked."""

from __future__ import annotations

import logging
import re
import threading

MASK = "***"
_known: set[str] = set()
_lock = threading.Lock()

_PATTERNS = (
    re.compile(r"(?i)(\bresponse=\")[^\"]*(\")"),  # SIP digest Authorization header
    re.compile(r"(?i)(\bauthorization:\s*bearer\s+)\S+()"),
    re.compile(r"(?i)(\b(?:password|passwd|secret|api[_-]?key)\s*[=:]\s*)[^\s,;\"']+()"),
    re.compile(r"()\b(?:gsk|sk)[-_][A-Za-z0-9_-]{16,}()"),  # Groq / OpenAI style keys
)


def register_secret(value: str) -> None:
    if len(value) >= 4:
        with _lock:
            _known.add(value)


def redact(text: str) -> str:
    with _lock:
        known = sorted(_known, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, MASK)
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: f"{m.group(1)}{MASK}{m.group(2)}", text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the record's message once, redacted, so arguments cannot smuggle a secret out."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
