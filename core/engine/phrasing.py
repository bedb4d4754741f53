"""Where to cut a long first sentence so its first words can be voiced sooner.

Piper voices a sentence as a whole; a 25-word sentence costs three times the time to first audio
of an 8-word phrase. The first sentence of a reply is therefore cut once, at a comma or before a
joining word, so speech starts after the phrase while the rest is synthesised during it.
"""

from __future__ import annotations

import re

_JOINERS = frozenset(
    (
        "and", "but", "or", "so", "because", "when", "if", "after", "before", "within", "for", "with",
        "from", "which", "that", "who", "where", "while", "until", "unless", "although", "including",
    )
)


def first_phrase_split(
    sentence: str, *, min_words: int = 4, max_words: int = 10, long_words: int = 14
) -> list[str]:
    """[phrase, rest] for a sentence longer than `long_words`, else [sentence]."""
    words = sentence.split()
    if len(words) <= long_words:
        return [sentence]
    cut = 0
    for i in range(min_words, min(max_words, len(words) - min_words) + 1):
        if words[i - 1].endswith((",", ";", ":")):
            cut = i
            break
        joins = re.sub(r"\W", "", words[i].lower()) in _JOINERS
        if not cut and joins and not re.search(r"\d$", words[i - 1]):  # not inside "3 and 5"
            cut = i
    if not cut:
        return [sentence]
    return [" ".join(words[:cut]), " ".join(words[cut:])]
