"""A knowledge base's distinctive words (product names, proper nouns, model numbers), the terms
that recur across its pages first: the recogniser takes the first few as hotwords.

Whisper mishears exactly these ("Metrolink" -> "met ring"). A word is distinctive if it mixes
letters and digits (X200), has an inner capital (HelpDesk), is an acronym (VAT), or is capitalised
every time it appears other than at a sentence start. Biasing with every such word hurts: jargon
that one page mentions once ("LZMA2", "MiB") then turns up in callers' transcripts (issue 13:
WER 22.7 % -> 28.5 %). So the vocabulary is ordered: first the recurring terms (see `_ranked`), then
the other distinctive words, most used first.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

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
RECURRING_MIN_COUNT = 3


@dataclass
class _Counts:
    total: Counter[str] = field(default_factory=Counter)
    lowercase: Counter[str] = field(default_factory=Counter)
    capital_inside: Counter[str] = field(default_factory=Counter)  # capitalised where no sentence starts
    forms: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, other: _Counts) -> None:
        self.total.update(other.total)
        self.lowercase.update(other.lowercase)
        self.capital_inside.update(other.capital_inside)
        for key, forms in other.forms.items():
            self.forms.setdefault(key, Counter()).update(forms)

    def form(self, key: str) -> str:
        return self.forms[key].most_common(1)[0][0]

    def distinctive(self, key: str) -> bool:
        form = self.form(key)
        has_digit = any(c.isdigit() for c in form)
        if has_digit and any(c.isalpha() for c in form):
            return True
        if has_digit:
            return False
        inner_capital = any(c.isupper() for c in form[1:])
        return inner_capital or (self.capital_inside[key] > 0 and self.lowercase[key] == 0)


def _count(text: str) -> _Counts:
    counts = _Counts()
    for sentence in _SENTENCE_END.split(text):
        for index, match in enumerate(_WORD.finditer(sentence)):
            word = match.group().strip("'’-+&")
            key = word.lower()
            if len(word) < 2 or key in _COMMON or word.isdigit():
                continue
            counts.total[key] += 1
            counts.forms.setdefault(key, Counter())[word] += 1
            if word[0].islower():
                counts.lowercase[key] += 1
            elif index > 0:
                counts.capital_inside[key] += 1
    return counts


def _ranked(texts: Iterable[str], min_count: int) -> tuple[_Counts, list[str], list[str]]:
    """The counts over all texts, the recurring terms and the other distinctive words, in order.

    A recurring term is distinctive in at least one text (a page may write "zulip.com" elsewhere),
    capitalised (not "h2", "3-year") and used `min_count` times in all; the more texts it is
    distinctive in, the earlier it comes.
    """
    whole = _Counts()
    spread: Counter[str] = Counter()  # in how many texts the word is distinctive
    for text in texts:
        counts = _count(text)
        spread.update(key for key in counts.total if counts.distinctive(key))
        whole.add(counts)
    recurring = sorted(
        (k for k in spread if whole.total[k] >= min_count and whole.form(k)[0].isupper()),
        key=lambda k: (-spread[k], -whole.total[k], k),
    )
    taken = set(recurring)
    others = (k for k in whole.total if k not in taken and whole.distinctive(k))
    rest = sorted(others, key=lambda k: (-whole.total[k], k))
    return whole, recurring, rest


def extract_vocabulary(
    texts: Iterable[str], limit: int = 60, *, min_count: int = RECURRING_MIN_COUNT
) -> list[str]:
    """The distinctive words of `texts`: the recurring terms first, then the others."""
    counts, recurring, rest = _ranked(texts, min_count)
    return [counts.form(key) for key in (recurring + rest)[:limit]]


def recurring_terms(
    texts: Iterable[str], limit: int = 12, *, min_count: int = RECURRING_MIN_COUNT
) -> list[str]:
    """Only the recurring terms of `texts`, most widespread first."""
    counts, recurring, _rest = _ranked(texts, min_count)
    return [counts.form(key) for key in recurring[:limit]]


def document_words(texts: Iterable[str]) -> frozenset[str]:
    """Every word of one document's texts (its title, its units and their headings), lower-cased,
    without the commonest function words: whether a name the caller said is on a document's page
    even when no retrieved unit of it holds the name."""
    return frozenset(w for text in texts for w in map(str.lower, _WORD.findall(text)) if w not in _COMMON)
