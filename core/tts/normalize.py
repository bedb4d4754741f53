"""Text as it should be *spoken*: no markdown, emoji or URLs; numbers, money, times, dates,
percentages, phone numbers and e-mail addresses written out in words (num2words).

`strip_markdown` runs before sentence splitting (it turns list items and lines into sentences);
`normalize_for_speech` runs on each sentence (it calls `strip_markdown` too, so it also works on
its own). English only, like the bundled voices.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from num2words import num2words

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)
WEEKDAYS = {
    "mon": "Monday", "tue": "Tuesday", "wed": "Wednesday", "thu": "Thursday",
    "fri": "Friday", "sat": "Saturday", "sun": "Sunday",
}
# symbol or ISO code -> (singular, plural, minor singular, minor plural)
CURRENCIES = {
    "$": ("dollar", "dollars", "cent", "cents"),
    "USD": ("dollar", "dollars", "cent", "cents"),
    "€": ("euro", "euros", "cent", "cents"),
    "EUR": ("euro", "euros", "cent", "cents"),
    "£": ("pound", "pounds", "penny", "pence"),
    "GBP": ("pound", "pounds", "penny", "pence"),
    "¥": ("yen", "yen", "sen", "sen"),
}
ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately", "incl.": "including", "min.": "minutes", "hrs": "hours",
}
SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "~": " about ", "|": ", "}


def number_words(number: str | int | float) -> str:
    """num2words without its commas ("one thousand two hundred and five")."""
    value = float(number) if isinstance(number, str) and "." in number else int(number)
    return str(num2words(value)).replace(",", "")


def digit_by_digit(text: str) -> str:
    return " ".join(DIGITS[int(d)] for d in text if d.isdigit())


# --- markdown, links, emoji ---------------------------------------------------------------

_MARKDOWN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"```[^\n]*\n?(.*?)```", re.S), r"\1"),  # code fences: keep the content
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"<[a-zA-Z/][^>]*>"), " "),  # HTML tags
    (re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.M), ""),  # table separator rows
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),  # headings
    (re.compile(r"^\s*>\s?", re.M), ""),  # block quotes
    (re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", re.M), ""),  # list bullets and numbers
    (re.compile(r"(\*\*|__|~~)(.+?)\1"), r"\2"),  # bold, strikethrough
    (re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)"), r"\1"),  # *italics*
    (re.compile(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)"), r"\1"),  # _italics_
    (re.compile(r"`([^`]*)`"), r"\1"),  # inline code
]
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>()]+[^\s<>().,;:!?'\"]", re.I)
_DROP_CHARS = {"\ufe0f", "\u200d", "\u20e3"}  # emoji variation selector, joiner, keycap


def _is_emoji_or_symbol(char: str) -> bool:
    return char in _DROP_CHARS or unicodedata.category(char) in ("So", "Sk", "Cs", "Co")


def strip_markdown(text: str) -> str:
    """Markdown, HTML tags, URLs and emoji out; each non-empty line becomes a sentence."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    text = _URL.sub("", text)
    for unit, spoken in (("°C", " degrees Celsius"), ("°F", " degrees Fahrenheit"), ("°", " degrees")):
        text = text.replace(unit, spoken)
    text = "".join(c for c in text if not _is_emoji_or_symbol(c))
    lines = [line.strip().strip("|").strip() for line in text.splitlines()]
    lines = [re.sub(r"\s*\|\s*", ", ", line) for line in lines if line]
    if len(lines) > 1:
        lines = [line if line[-1] in ".!?:;," else line + "." for line in lines]
    return " ".join(lines)


# --- numbers and friends ------------------------------------------------------------------

def _email(m: re.Match[str]) -> str:
    spoken = {".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus ", "@": " at "}
    out = []
    for part in re.split(r"([._+@-]|\d+)", m.group(0)):
        if part in spoken:
            out.append(spoken[part])
        elif part.isdigit():
            out.append(" " + digit_by_digit(part) + " ")
        elif part:
            out.append(part)
    return "".join(out)


def _phone(m: re.Match[str]) -> str:
    """Seven or more digits with phone-like separators are read digit by digit, group by group."""
    raw = m.group(0)
    groups = re.findall(r"\d+", raw)
    if sum(map(len, groups)) < 7:
        return raw
    return ("plus " if raw.startswith("+") else "") + ", ".join(digit_by_digit(g) for g in groups)


def _money(m: re.Match[str]) -> str:
    one, many, minor_one, minor_many = CURRENCIES[m.group("sym") or m.group("code").upper()]
    amount = (m.group("amount") or m.group("amount2")).replace(",", "")
    scale = (m.group("scale") or "").strip().lower()
    if scale:
        scale_word = {"k": "thousand", "m": "million", "bn": "billion"}.get(scale, scale)
        return f"{number_words(amount)} {scale_word} {many}"
    whole, _, fraction = amount.partition(".")
    major = int(whole)
    minor = int((fraction + "00")[:2]) if fraction else 0
    parts = []
    if major or not minor:
        parts.append(f"{number_words(major)} {one if major == 1 else many}")
    if minor:
        parts.append(f"{number_words(minor)} {minor_one if minor == 1 else minor_many}")
    return " and ".join(parts)


def _time(m: re.Match[str]) -> str:
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    suffix = (m.group("ampm") or "").lower().replace(".", "")
    spoken = number_words(hour)
    if minute == 0:
        if not suffix:
            spoken += " hundred" if hour > 12 else " o'clock"
    elif minute < 10:
        spoken += f" oh {number_words(minute)}"
    else:
        spoken += f" {number_words(minute)}"
    return spoken + {"am": " a.m.", "pm": " p.m.", "": ""}[suffix]


def _date(m: re.Match[str]) -> str:
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return f"{MONTHS[month - 1]} {num2words(day, to='ordinal')}, {num2words(year, to='year')}"


def _number(m: re.Match[str]) -> str:
    """Plain numbers; 1900-2099 without a thousands comma read as years ("twenty twenty-four")."""
    text = m.group(0)
    if re.fullmatch(r"(19|20)\d\d", text):
        return str(num2words(int(text), to="year"))
    return number_words(text.replace(",", ""))


_AMPM = r"(?P<ampm>[ap]\.?m\.?)"
_RULES: list[Rule] = [
    (re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), _email),
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _date),
    (re.compile(r"\b24/7\b"), lambda m: "twenty-four seven"),
    (
        re.compile(
            r"(?P<sym>[$€£¥])\s?(?P<amount>\d[\d,]*(?:\.\d+)?)"
            r"(?P<scale>\s?(?:million|billion|thousand|bn|k|m)\b)?"
            r"|(?P<amount2>\d[\d,]*(?:\.\d+)?)\s?(?P<code>USD|EUR|GBP)\b",
            re.I,
        ),
        _money,
    ),
    (re.compile(r"(\d+(?:\.\d+)?)\s?%"), lambda m: f"{number_words(m.group(1))} percent"),
    (re.compile(rf"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?:\s?{_AMPM}(?!\w))?", re.I), _time),
    (re.compile(rf"\b(?P<h>1[0-2]|0?[1-9])(?P<m>)\s?{_AMPM}(?!\w)", re.I), _time),
    (re.compile(r"(?<=[ap]\.m\.)\s?[-–]\s?"), lambda m: " to "),
    (re.compile(r"(?<![\w.])\+?\(?\d[\d().\s-]{5,}\d(?!\w|\.\d)"), _phone),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.I), lambda m: str(num2words(int(m.group(1)), to="ordinal"))),
    (
        re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)\s?[-–]\s?(mon|tue|wed|thu|fri|sat|sun)\b", re.I),
        lambda m: f"{WEEKDAYS[m.group(1).lower()]} to {WEEKDAYS[m.group(2).lower()]}",
    ),
    (
        re.compile(r"\b(\d[\d,]*(?:\.\d+)?)\s?[-–]\s?(\d[\d,]*(?:\.\d+)?)\b"),
        lambda m: f"{m.group(1)} to {m.group(2)}",
    ),
    (re.compile(r"#\s?(?=\d)"), lambda m: "number "),
    (re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\w.])\d+(?:\.\d+)?(?![\d])"), _number),
]


def normalize_for_speech(text: str) -> str:
    text = strip_markdown(text)
    for abbreviation, spoken in ABBREVIATIONS.items():
        text = re.sub(rf"(?<!\w){re.escape(abbreviation)}(?!\w)", spoken, text, flags=re.I)
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    for symbol, spoken in SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"[*_#`\\^<>{}\[\]]", " ", text)
    text = re.sub(r"\s+", " ", text)
    return re.sub(r"\s+([,.!?;:])", r"\1", text).strip()
