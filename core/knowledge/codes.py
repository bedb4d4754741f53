"""Codes a caller names ("error code E4", "form SS-5", "the 1099-R"), and the units that hold them.

MiniLM does not tell codes apart: "What does error code E4 mean?" is nearer E9's and E1's units
(cosine 0.46, 0.42) than E4's own (0.14), so a search by meaning never finds it. A code is matched
exactly instead, and only while it identifies something: a code that many units hold (a form number
every page repeats) says nothing about which one is meant.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable

# Letters then digits, with an optional hyphen and a trailing letter (E4, SS-5, W-2, MK2, A12b), or
# digits, a hyphen and letters (1099-R). Not ordinals or times ("22nd", "5pm": digits first).
_CODE = re.compile(r"\b(?:[A-Za-z]{1,4}-?\d{1,5}[A-Za-z]?|\d{2,5}-[A-Za-z]{1,2})\b")
MAX_HOLDERS = 3  # units holding a code beyond which it identifies nothing


def codes(text: str) -> frozenset[str]:
    """The codes in `text`, compared without case or hyphen ("SS-5" and "ss5" are one)."""
    return frozenset(m.group().replace("-", "").lower() for m in _CODE.finditer(text))


def code_index(units: Iterable[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    """Code -> the ids of the units (id, text) holding it, for codes held by at most `MAX_HOLDERS`."""
    holders: dict[str, list[str]] = defaultdict(list)
    for unit_id, text in units:
        for code in codes(text):
            holders[code].append(unit_id)
    return {code: tuple(ids) for code, ids in holders.items() if len(ids) <= MAX_HOLDERS}


def holders(index: dict[str, tuple[str, ...]], query: str) -> list[str]:
    """The ids of the units holding a code the query names, each once, in the query's order."""
    found: dict[str, None] = {}
    for m in _CODE.finditer(query):
        for unit_id in index.get(m.group().replace("-", "").lower(), ()):
            found.setdefault(unit_id, None)
    return list(found)
