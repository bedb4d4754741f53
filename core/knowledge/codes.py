"""Codes a caller names ("error code E4", "form SS-5", "the 1099-R"), and the units that hold them.

MiniLM does not tell codes apart: "What does error code E4 mean?" is nearer E9's and E1's units
(cosine 0.46, 0.42) than E4's own (0.14), so a search by meaning never finds it. A code is matched
exactly instead, and only while it identifies something: a code on many pages (a form number
every page repeats) says nothing about which one is meant.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

_HYPHEN = "-\u2010\u2011\u2012\u2013"
# Units and times after a number are measures, not codes ("24-hr", "16-GB", "5-pm").
_UNITS = r"(?:hrs?|mins?|secs?|mg|ml|kg|g|km|cm|mm|m|gb|mb|kb|tb|am|pm|th|st|nd|rd|yrs?|lbs?|oz)"
# Letters then digits, with an optional hyphen and a trailing letter (E4, SS-5, W-2, MK2, A12b), or
# digits, a hyphen and letters (1099-R). Not ordinals, times or measures ("22nd", "5pm", "16-GB").
_CODE = re.compile(
    rf"\b(?:[A-Za-z]{{1,4}}[{_HYPHEN}]?\d{{1,5}}[A-Za-z]?|\d{{2,5}}[{_HYPHEN}](?!{_UNITS}\b)[A-Za-z]{{1,2}})\b",
    re.IGNORECASE,
)
# A recogniser writes a spelled-out code with a space: "error E 4", "form SS 5", "a W 2". One letter
# (not "a" or "I"), or up to three after "form"; never a word ("error code 5001" stays as it is).
_SPOKEN = re.compile(r"(?<=\bform )([a-z]{1,3}) (\d{1,5})\b|\b([b-hj-z]) (\d{1,5})\b", re.IGNORECASE)
MAX_SOURCES = 3  # documents holding a code beyond which it identifies nothing


def _normal(code: str) -> str:
    """One spelling per code: no case, no hyphen, no plural ("W-2s" is "w2")."""
    bare = re.sub(f"[{_HYPHEN}]", "", code).lower()
    return bare[:-1] if re.fullmatch(r"[a-z]+\d+s", bare) else bare


def codes(text: str) -> frozenset[str]:
    """The codes in `text` (see `_normal`)."""
    return frozenset(_normal(m.group()) for m in _CODE.finditer(text))


def joined_codes(said: str) -> str:
    """A caller's words with the codes a recogniser spaced written whole ("error E 4" -> "error E4")."""
    return _SPOKEN.sub(lambda m: "".join(g for g in m.groups() if g), said)


def asked_codes(question: str) -> list[str]:
    """The codes a caller's question names, in its order (spaced ones joined, see `joined_codes`)."""
    return list(dict.fromkeys(_normal(m.group()) for m in _CODE.finditer(joined_codes(question))))


def code_index(units: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, ...]]:
    """Code -> the ids of the units (id, source, text) holding it, for codes on at most
    `MAX_SOURCES` documents. A code in a heading is held by every unit under it: documents are
    counted, not units."""
    held: dict[str, dict[str, None]] = defaultdict(dict)
    sources: dict[str, set[str]] = defaultdict(set)
    for unit_id, source, text in units:
        for code in codes(text):
            held[code][unit_id] = None
            sources[code].add(source)
    return {code: tuple(ids) for code, ids in held.items() if len(sources[code]) <= MAX_SOURCES}


def coded_hits(
    index: Mapping[str, Sequence[str]], question: str,
    vectors: Callable[[list[str]], Mapping[str, np.ndarray]],
    embed: Callable[[Sequence[str]], np.ndarray],
) -> list[tuple[str, float]]:
    """(unit id, cosine distance) of the units holding a code the question names, nearest first;
    `vectors` gives the stored vectors of unit ids, `embed` embeds the question."""
    ids = list(dict.fromkeys(i for code in asked_codes(question) for i in index.get(code, ())))
    stored = vectors(ids) if ids else {}
    if not stored:
        return []
    asked = embed([question])[0]
    return sorted(((i, 1.0 - float(np.asarray(v, dtype=np.float32) @ asked)) for i, v in stored.items()),
                  key=lambda hit: hit[1])
