"""Figures a model says must be figures the knowledge base holds.

Before a model's sentence is spoken, every figure in it (prices, numbers, dates, times, phone
numbers, e-mail addresses, web addresses) is looked up in the retrieved passages. A sentence with a
figure found nowhere in them is an invention: it is dropped, and the turn falls back to the
extractive answer or to "I don't know".
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from earpiece.core.interfaces import Passage

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(
    r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|uk|ie|io|co|example|info|us|eu|ca)"
    r"(?:/[^\s,;)]*)?",
    re.IGNORECASE,
)
# A digit run that may be split by spaces, dots, dashes or brackets (phone numbers), or a plain number.
_LONG_DIGITS = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
# An amount of money: its figure alone is not enough ("£2" is no fact because "2 years" is one).
_PRICE = re.compile(
    r"([£$€])\s?(\d+(?:[.,]\d+)*)|\b(\d+(?:[.,]\d+)*)\s?(pounds?|dollars?|euros?)\b", re.IGNORECASE
)
_CURRENCY = {"pound": "£", "dollar": "$", "euro": "€"}
_UNITS = {
    "zero": 0, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100, "thousand": 1000,
    "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "tenth": 10,
}  # "one" is left out: it is a pronoun far more often than a figure
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_UNITS) + r")\b", re.IGNORECASE)
_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)
LONG_DIGITS_MIN = 6


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _number(token: str) -> str:
    """"1,250" -> "1250"; "4.95" stays; "9:00" and "9.00" -> "9"; "9:30" -> "9:30"."""
    token = token.replace(",", "")
    head, sep, tail = token.replace(".", ":").partition(":") if re.fullmatch(r"\d{1,2}[.:]\d\d", token) else (
        token, "", ""
    )
    if sep:
        return head.lstrip("0") or "0" if tail == "00" else f"{int(head)}:{tail}"
    if "." in token:
        whole, _, frac = token.partition(".")
        return whole.lstrip("0") or "0" if set(frac) <= {"0"} else f"{whole.lstrip('0') or '0'}.{frac}"
    return token.lstrip("0") or "0"


def figures(text: str) -> tuple[set[str], set[str], set[str], set[str]]:
    """(e-mails, web addresses, long digit runs, numbers) asserted by `text`, normalised."""
    emails = {m.lower() for m in _EMAIL.findall(text)}
    rest = _EMAIL.sub(" ", text)
    urls = {_SCHEME.sub("", m).rstrip("/.").lower() for m in _URL.findall(rest)}
    rest = _URL.sub(" ", rest)
    long_runs = {d for m in _LONG_DIGITS.findall(rest) if len(d := _digits(m)) >= LONG_DIGITS_MIN}
    rest = _LONG_DIGITS.sub(
        lambda m: " " if len(_digits(m.group(0))) >= LONG_DIGITS_MIN else m.group(0), rest
    )
    numbers = {_number(n) for n in _NUMBER.findall(rest)}
    numbers |= {str(_UNITS[w.lower()]) for w in _NUMBER_WORD.findall(rest)}
    return emails, urls, long_runs, numbers


def written_numbers(text: str) -> frozenset[str]:
    """The numbers written in digits in `text`, normalised as `figures` normalises them ("1,250"
    -> "1250", "9:00" -> "9"); number words are left out ("first", "two" are as often no figure)."""
    return frozenset(_number(n) for n in _NUMBER.findall(text))


def prices(text: str) -> set[str]:
    """Amounts of money in `text`, as currency sign and figure: "£4.95" and "4.95 pounds" -> "£4:95"
    (the figure normalised as `figures` does)."""
    return {
        (m.group(1) or _CURRENCY[m.group(4).lower().rstrip("s")]) + _number(m.group(2) or m.group(3))
        for m in _PRICE.finditer(text)
    }


class FactChecker:
    """Built once per turn from the retrieved passages; `invented(sentence)` lists what is not there."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        blob = "\n".join(f"{p.heading}\n{p.text}" for p in passages)
        self._emails, self._urls, long_runs, self._numbers = figures(blob)
        self._text = _SCHEME.sub("", blob.lower()).replace("https://", "").replace("http://", "").replace(
            "www.", ""
        )
        self._digit_runs = long_runs | {_digits(n) for n in self._numbers}
        self._all_digits = _digits(blob)
        self._prices = prices(blob)

    def invented(self, sentence: str) -> list[str]:
        emails, urls, long_runs, numbers = figures(sentence)
        out = [e for e in emails if e not in self._emails and e not in self._text]
        out += [u for u in urls if u not in self._text]
        out += [d for d in long_runs if not any(d in run for run in self._digit_runs)]
        out += [n for n in numbers if n not in self._numbers]
        out += [p for p in prices(sentence) if p not in self._prices]
        return sorted(set(out))
