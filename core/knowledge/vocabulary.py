"""A knowledge base's distinctive words (product names, proper nouns, model numbers).

The recogniser gets them as hotwords: Whisper mishears exactly these ("Metrolink" -> "met ring").
A word qualifies if it mixes letters and digits (X200), has an inner capital (HelpDesk), is an
acronym (VAT), or is capitalised every time it appears other than at a sentence start.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

_SENTENCE_END = re.compile(r"(?<=[.!?:;])\s+|\n+")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’&+-]*[A-Za-z0-9]|[A-Za-z]")
_COMMON = frozenset(
    " ".join((
        "i a an the we our you your my it its if on in at for of to and or but not no yes please this",
        "that these those there here he she they them his her mr mrs ms dr ok am pm",
        "monday tuesday wednesday thursday friday saturday sunday january february march april may",
        "june july august september october november december",
    )).split()
)


def extract_vocabulary(texts: Iterable[str], limit: int = 60) -> list[str]:
    total: Counter[str] = Counter()
    lowercase: Counter[str] = Counter()
    capital_inside: Counter[str] = Counter()  # capitalised where a sentence does not start
    forms: dict[str, Counter[str]] = {}
    for text in texts:
        for sentence in _SENTENCE_END.split(text):
            for index, match in enumerate(_WORD.finditer(sentence)):
                word = match.group().strip("'’-+&")
                key = word.lower()
                if len(word) < 2 or key in _COMMON or word.isdigit():
                    continue
                total[key] += 1
                forms.setdefault(key, Counter())[word] += 1
                if word[0].islower():
                    lowercase[key] += 1
                elif index > 0:
                    capital_inside[key] += 1

    def distinctive(key: str) -> bool:
        form = forms[key].most_common(1)[0][0]
        has_digit = any(c.isdigit() for c in form)
        if has_digit and any(c.isalpha() for c in form):
            return True
        if has_digit:
            return False
        inner_capital = any(c.isupper() for c in form[1:])
        return inner_capital or (capital_inside[key] > 0 and lowercase[key] == 0)

    chosen = sorted((k for k in total if distinctive(k)), key=lambda k: (-total[k], k))
    return [forms[k].most_common(1)[0][0] for k in chosen[:limit]]
