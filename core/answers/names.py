"""The specific things a question names (a park, a product, a place), so that a question about one
is not answered with a fact about another ("the entrance pass for Acadia" from a Yellowstone page).

A name is a word capitalised inside the question, or one of the knowledge base's own distinctive
terms (`earpiece.core.knowledge.vocabulary`: words its pages always capitalise, model numbers):
callers' transcripts may be lower case, so "acadia" counts when the pages name Acadia.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from earpiece.core.answers.words import STOPWORDS, stem, tokens

_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-zA-Z]+)")
_JOINED = re.compile(r"(?<=\w)[-‐–](?=\w)")
MIN_NAME_LENGTH = 3


def names(question: str, kb_terms: Iterable[str] = ()) -> frozenset[str]:
    """The stemmed names in `question`: capitalised inside it, or among `kb_terms`."""
    known = {w for term in kb_terms for w in tokens(_JOINED.sub("", term))}
    capitalised = {w.lower() for w in _CAPITALISED.findall(question.strip())}
    found = {
        w for w in tokens(question)
        if len(w) >= MIN_NAME_LENGTH and w not in STOPWORDS and (w in capitalised or w in known)
    }
    return frozenset(stem(w) for w in found)


def named_in(texts: Iterable[str]) -> set[str]:
    """The stemmed words of `texts`, also with the hyphens of compounds joined ("Wi-Fi": "wifi")."""
    out: set[str] = set()
    for text in texts:
        out.update(stem(w) for w in tokens(text))
        out.update(stem(w) for w in tokens(_JOINED.sub("", text)))
    return out
