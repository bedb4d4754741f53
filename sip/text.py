"""Caller-controlled strings made safe to show: plain text, one line, bounded length."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 200

_NAME_ADDR = re.compile(r'^\s*(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<token>[^<]*?))\s*<(?P<uri>[^>]*)>')


def plain_text(value: str, limit: int = MAX_TEXT) -> str:
    """Drop control and format characters (incl. bidi overrides), collapse whitespace, cap length."""
    kept = (
        " " if ch.isspace() else ch
        for ch in value
        if ch.isspace() or unicodedata.category(ch) not in {"Cc", "Cf", "Cs", "Co", "Cn"}
    )
    text = " ".join("".join(kept).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def split_name_addr(value: str) -> tuple[str, str]:
    """`"Bob" <sip:bob@x>` -> ("Bob", "sip:bob@x"); a bare URI has an empty display name."""
    match = _NAME_ADDR.match(value)
    if match is None:
        return "", plain_text(value)
    quoted = match.group("quoted")
    name = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group("token") or ""
    return plain_text(name), plain_text(match.group("uri"))
