"""Which audio codecs calls offer, in which order. Codec ids are PJSIP's ("G722/16000/1"); the wheel
has G.722, G.711 (PCMU, PCMA), Speex, GSM and iLBC (no Opus). Listed codecs get falling priorities
from 255, every other codec is switched off (priority 0), so a call can only use a listed one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

DEFAULT_CODEC_ORDER = ("G722/16000/1", "PCMU/8000/1", "PCMA/8000/1")
_TOP_PRIORITY = 255


def codec_ids(ep: Any) -> list[str]:
    """The codecs this PJSIP build has, as ids."""
    return [str(codec.codecId) for codec in ep.codecEnum2()]


def set_codec_order(ep: Any, order: Sequence[str]) -> None:
    """Offer the codecs of `order` in that order and no others (SIP thread). Raises ValueError for an
    empty order, a repeated or unknown codec, before anything changes."""
    available = codec_ids(ep)
    if not order:
        raise ValueError("at least one codec must be enabled")
    if len(set(order)) != len(order):
        raise ValueError(f"a codec is listed twice in {list(order)}")
    unknown = [name for name in order if name not in available]
    if unknown:
        raise ValueError(f"unknown codec(s) {', '.join(unknown)}; this build has {', '.join(available)}")
    priority = {name: _TOP_PRIORITY - rank for rank, name in enumerate(order)}
    for name in available:
        ep.codecSetPriority(name, priority.get(name, 0))
