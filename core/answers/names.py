"""The specific things a question names (a park, a product, a place), so that a question about one
is not answered with a fact about another ("the entrance pass for Acadia" from a Yellowstone page).

A name is a question word that is capitalised inside the question, or that the bundled MiniLM's
word-piece vocabulary (30k common English words) does not hold whole: callers' transcripts may be
lower case, and "acadia" is split into pieces where "parking" or "entrance" is not.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from earpiece.core.answers.words import STOPWORDS, stem, tokens

_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b([A-Z][a-zA-Z]+)")
MIN_NAME_LENGTH = 3


@lru_cache(maxsize=1)
def _common_words() -> frozenset[str]:
    """Whole words of the MiniLM tokenizer's vocabulary (word pieces "##..." left out)."""
    from tokenizers import Tokenizer

    from earpiece.core.models import embedding_model
    from earpiece.core.settings import KnowledgeSettings

    _onnx, tokenizer = embedding_model(KnowledgeSettings()).files
    vocabulary = Tokenizer.from_file(str(tokenizer)).get_vocab()
    return frozenset(w for w in vocabulary if w.isalpha())


def names(question: str) -> frozenset[str]:
    """The stemmed names in `question`: capitalised inside it, or not a common English word."""
    capitalised = {w.lower() for w in _CAPITALISED.findall(question.strip())}
    common = _common_words()
    found = {
        w for w in tokens(question)
        if w.isalpha() and len(w) >= MIN_NAME_LENGTH and w not in STOPWORDS
        and (w in capitalised or w not in common)
    }
    return frozenset(stem(w) for w in found)


def named_in(texts: Iterable[str]) -> set[str]:
    """The stemmed words of `texts`, also with hyphens and inner spaces of compounds joined
    ("Wi-Fi" holds "wifi")."""
    out: set[str] = set()
    for text in texts:
        out.update(stem(w) for w in tokens(text))
        out.update(stem(w) for w in tokens(re.sub(r"(?<=\w)[-‐–](?=\w)", "", text)))
    return out
