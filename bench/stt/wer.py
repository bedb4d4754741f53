"""Word error rate after normalising what a recogniser may legitimately write differently:
case, punctuation, fillers (um, uh), digits and currency ("$30" = "thirty dollars")."""

from __future__ import annotations

import re

from num2words import num2words

FILLERS = frozenset({"um", "uh", "er", "erm", "hmm", "mm", "ah", "oh"})
_CURRENCY = {"$": "dollars", "£": "pounds", "€": "euros"}
_MONEY = re.compile(r"([$£€])\s?(\d+(?:[.,]\d+)?)")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_ORDINAL = re.compile(r"\b(\d+)(st|nd|rd|th)\b")


def _money(match: re.Match[str]) -> str:
    return f"{match.group(2)} {_CURRENCY[match.group(1)]}"


def _number(match: re.Match[str]) -> str:
    text = match.group()
    return num2words(float(text) if "." in text else int(text))


def normalise(text: str) -> list[str]:
    text = text.lower().replace(",000", "000")
    text = _MONEY.sub(_money, text)
    text = text.replace("%", " percent")
    text = _ORDINAL.sub(lambda m: num2words(int(m.group(1)), to="ordinal"), text)
    text = _NUMBER.sub(_number, text)
    text = re.sub(r"[^a-z' ]+", " ", text.replace("-", " ")).replace("'", "")
    return [w for w in text.split() if w not in FILLERS]


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    """Levenshtein distance between two word lists (substitutions, insertions, deletions)."""
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, start=1):
        diagonal, row[0] = row[0], i
        for j, h in enumerate(hyp, start=1):
            diagonal, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, diagonal + (r != h))
    return row[-1]


def errors(reference: str, hypothesis: str) -> tuple[int, int]:
    """(word errors, reference words) after normalisation."""
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp), len(ref)
