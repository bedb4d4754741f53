"""Text as it should be *spoken*: the same facts a reader sees, in words a caller can write down.

Phone numbers, PINs, codes, order and account numbers, ZIP codes and keypad keys are read digit
by digit, in the groups they are written in, with a comma (a short pause) between groups; ``*``
is "star" and ``#`` is "hash". Prices, times, dates, percentages, ordinals, ranges and units are
read as people say them (num2words), e-mail addresses and web addresses as "support at example dot
com" and "example dot com slash help". Dates written with slashes are read month first (US), unless
the first number cannot be a month ("25/12/2026"); dotted dates ("25.12.2026") day first, unless the
second number cannot be a month. Times on the 24-hour clock ("17:30", "09:00") are said with a.m. or
p.m.; markdown, HTML tags and emoji are dropped.

`strip_markdown` runs before sentence splitting (it turns list items and lines into sentences);
`normalize_for_speech` runs on each sentence (it calls `strip_markdown` too, so it also works on
its own). English only, like the bundled voices. `phonenumbers` was tried for finding phone numbers
and does not pay: it misses vanity numbers ("1-800-FLOWERS") and needs the caller's region.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from num2words import num2words

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
KEYS = {"*": "star", "#": "hash"}
_DIGIT_WORDS = str.maketrans({str(d): f" {word} " for d, word in enumerate(DIGITS)})
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
# written unit -> (singular, plural)
UNITS = {
    "kg": ("kilogram", "kilograms"), "g": ("gram", "grams"), "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"), "oz": ("ounce", "ounces"), "km": ("kilometer", "kilometers"),
    "mi": ("mile", "miles"), "cm": ("centimeter", "centimeters"), "mm": ("millimeter", "millimeters"),
    "ft": ("foot", "feet"), "sq ft": ("square foot", "square feet"), "ml": ("milliliter", "milliliters"),
    "mL": ("milliliter", "milliliters"), "L": ("liter", "liters"), "KB": ("kilobyte", "kilobytes"),
    "MB": ("megabyte", "megabytes"), "GB": ("gigabyte", "gigabytes"), "TB": ("terabyte", "terabytes"),
    "Mbps": ("megabit per second", "megabits per second"),
    "Gbps": ("gigabit per second", "gigabits per second"), "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"), "kWh": ("kilowatt hour", "kilowatt hours"),
    "h": ("hour", "hours"), "hr": ("hour", "hours"), "hrs": ("hour", "hours"),
    "min": ("minute", "minutes"), "mins": ("minute", "minutes"),
    "sec": ("second", "seconds"), "secs": ("second", "seconds"),
}
PER = {"mo": "month", "hr": "hour", "yr": "year", "wk": "week", "min": "minute"}
ABBREVIATIONS = {
    "e.g.": "for example", "i.e.": "that is", "etc.": "et cetera", "vs.": "versus",
    "approx.": "approximately", "incl.": "including", "min.": "minutes", "hrs": "hours",
}
SYMBOLS = {"&": " and ", "+": " plus ", "=": " equals ", "@": " at ", "~": " about ", "|": ", "}
TOP_LEVEL_DOMAINS = (
    "com|org|net|edu|gov|io|co|uk|us|ca|au|nz|ie|eu|de|fr|info|biz|app|dev|ai|tv|example"
)


def number_words(number: str | int | float) -> str:
    """num2words without its commas ("one thousand two hundred and five"); "1,205" is read too."""
    if isinstance(number, str):
        number = number.replace(",", "")
    value = float(number) if isinstance(number, str) and "." in number else int(number)
    return str(num2words(value)).replace(",", "")


def digit_by_digit(text: str) -> str:
    """Each digit as a word: "0143" -> "zero one four three" (anything else is skipped)."""
    return " ".join(DIGITS[int(d)] for d in text if d.isdigit())


def digit_group(group: str) -> str:
    """One group of digits. Repeated digits blur when said in one breath, so a run of three or more
    gets a pause after each pair ("555" -> "five five, five") and four digits with a double in them
    are read as two pairs ("0800" -> "zero eight, zero zero")."""
    if len(group) == 4 and re.search(r"(\d)\1", group):
        return f"{digit_by_digit(group[:2])}, {digit_by_digit(group[2:])}"
    return re.sub(r"(\d)\1(?=\1)", r"\g<0>,", group).replace(",", " , ").translate(_DIGIT_WORDS)


def digit_groups(digits: str) -> str:
    """A long run of digits in the groups of three (the last of four) that people read out:
    "1234567" -> "one two three, four five six seven", "00123456" -> "zero zero, one two, three
    four five six" (see `digit_group`); up to five digits stay one group."""
    if len(digits) <= 5:
        return digit_group(digits)
    cut = len(digits) - {0: 3, 1: 4, 2: 8}[len(digits) % 3]
    tail = [digits[cut:]] if len(digits) % 3 != 2 else [digits[cut : cut + 4], digits[cut + 4 :]]
    heads = [digits[i : i + 3] for i in range(0, cut, 3)]
    return ", ".join(digit_group(g) for g in [*heads, *tail])


def spoken_code(code: str) -> str:
    """A code as written: digits one by one, short letter runs spelled ("AB12" -> "A B one two"),
    words kept ("LINK"), a comma wherever the code has a dash or space."""
    groups = []
    for group in re.split(r"[\s.-]+", code.strip()):
        parts = []
        for part in re.findall(r"\d+|[^\W\d_]+", group):
            if part.isdigit():
                parts.append(digit_groups(part))
            elif len(part) <= 3 and part.isupper():
                parts.append(" ".join(part))
            else:
                parts.append(part)
        groups.append(" ".join(parts))
    return ", ".join(g for g in groups if g)


# --- markdown, emoji ----------------------------------------------------------------------

_MARKDOWN: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"```[^\n]*\n?(.*?)```", re.S), r"\1"),  # code fences: keep the content
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images: alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links: their text
    (re.compile(r"<[a-zA-Z/][^>]*>"), " "),  # HTML tags
    (re.compile(r"^\s*(?:[-*_]\s*){3,}$", re.M), ""),  # horizontal rules
    (re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.M), ""),  # table separator rows
    (re.compile(r"^\s{0,3}#{1,6}\s+", re.M), ""),  # headings
    (re.compile(r"^\s*>\s?", re.M), ""),  # block quotes
    (re.compile(r"^\s*(?:[-*+•]|\d{1,2}[.)])\s+", re.M), ""),  # list bullets and numbers
    # emphasis spans are short: bounding them keeps a long line of stray "*" from taking seconds
    (re.compile(r"(\*\*|__|~~)(.{1,300}?)\1"), r"\2"),  # bold, strikethrough
    (re.compile(r"(?<![\w*])\*(?![\s\d*#])(.{1,300}?)(?<!\s)\*(?!\w)"), r"\1"),  # *italics*, not "*9"
    (re.compile(r"(?<!\w)_(?!\s)(.{1,300}?)(?<!\s)_(?!\w)"), r"\1"),  # _italics_
    (re.compile(r"`([^`]*)`"), r"\1"),  # inline code
]
_DROP_CHARS = {"\ufe0f", "\u200d", "\u20e3"}  # emoji variation selector, joiner, keycap


def _is_emoji_or_symbol(char: str) -> bool:
    return char in _DROP_CHARS or unicodedata.category(char) in ("So", "Sk", "Cs", "Co")


def strip_markdown(text: str) -> str:
    """Markdown, HTML tags and emoji out; each non-empty line becomes a sentence."""
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    for unit, spoken in (("°C", " degrees Celsius"), ("°F", " degrees Fahrenheit"), ("°", " degrees")):
        text = text.replace(unit, spoken)
    text = "".join(c for c in text if not _is_emoji_or_symbol(c))
    lines = [line.strip().strip("|").strip() for line in text.splitlines()]
    lines = [re.sub(r"\s*\|\s*", ", ", line) for line in lines if line]
    if len(lines) > 1:
        lines = [line if line[-1] in ".!?:;," else line + "." for line in lines]
    return " ".join(lines)


# --- addresses: e-mail and web ------------------------------------------------------------

_ADDRESS_MARKS = {
    ".": " dot ", "_": " underscore ", "-": " dash ", "+": " plus ", "@": " at ", "/": " slash ",
}


def _spell_address(address: str) -> str:
    out = []
    for part in re.split(r"([./_+@-]|\d+)", address):
        if part in _ADDRESS_MARKS:
            out.append(_ADDRESS_MARKS[part])
        elif part.isdigit():
            out.append(f" {digit_by_digit(part)} ")
        elif part:
            out.append(part)
    return re.sub(r"\s+", " ", "".join(out)).strip()


def _email(m: re.Match[str]) -> str:
    return _spell_address(m.group(0))


def _web_address(m: re.Match[str]) -> str:
    """Host and path without scheme, "www.", query or fragment: "example dot com slash help"."""
    path = (m.group("path") or "").split("?")[0].split("#")[0].rstrip("/")
    return _spell_address((m.group("host") or m.group("known")) + path)


# --- phone numbers, extensions, keypad keys, identifiers ----------------------------------

# Numbers written with spaces only are phone numbers when they look like one ("0800 123 4567",
# "202 555 0143"); "sizes 10 12 14 16" or "2024 2025 2026" are not.
_SPACED_PHONE = re.compile(r"0\d+(?: \d+)+|(?:1 )?\d{3} \d{3} \d{4}")


def _phone(m: re.Match[str]) -> str:
    """Seven or more digits (or a vanity number) read group by group as written."""
    raw, check = m.group("number"), m.group("check")
    digits = sum(c.isdigit() for c in raw)
    letters = sum(c.isalpha() for c in raw)
    if digits < 7 and not (letters >= 3 and digits >= 3):
        return m.group(0)
    if re.fullmatch(r"[\d ]+", raw) and not _SPACED_PHONE.fullmatch(raw):
        return m.group(0)
    body = re.sub(r"^\+", "", raw).replace("(0)", " ")
    groups = [g for g in re.split(r"[\s().-]+", body) if g]
    spoken = ", ".join(digit_group(g) if g.isdigit() else g for g in groups)
    spoken = ("plus " if raw.startswith("+") else "") + spoken
    return spoken + (f" ({digit_by_digit(check)})" if check else "")


def _extension(m: re.Match[str]) -> str:
    return " extension " + digit_by_digit(m.group(1))


def _keys(m: re.Match[str]) -> str:
    """'press *9 or #' -> 'press star nine or hash'."""
    def key(k: re.Match[str]) -> str:
        return " ".join(KEYS.get(c) or DIGITS[int(c)] for c in k.group(0))

    return m.group("verb") + " " + re.sub(r"[*#\d]+", key, m.group("keys"))


def _identifier(m: re.Match[str]) -> str:
    """A number or code after the word that names it ("PIN 0000", "order #A1234") is read digit by
    digit; short numbers after a word that is not a secret stay numbers ("Ticket #42")."""
    lead, code = m.group("lead"), m.group("code")
    digits = sum(c.isdigit() for c in code)
    secret = re.match(r"(?i)pin|pass|password|code|zip|post|ext|ending|routing", m.group("kind"))
    if not secret and code.isdigit() and digits <= 2 and not code.startswith("0"):
        return m.group(0)
    return lead.replace("#", "number ") + spoken_code(code)


# --- dates and times ----------------------------------------------------------------------

def _ordinal_date(month: int, day: int | None, year: str | None) -> str:
    spoken = MONTHS[month - 1]
    if day:
        spoken += " " + str(num2words(day, to="ordinal"))
    if year:
        spoken += ("," if day else "") + " " + str(num2words(int(year), to="year"))
    return spoken


def _iso_date(m: re.Match[str]) -> str:
    month, day = int(m.group(2)), int(m.group(3))
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return _ordinal_date(month, day, m.group(1))


def _numeric_date(m: re.Match[str]) -> str:
    """12/25/2026 month first (US); 25/12/2026 and 25.12.2026 day first."""
    first, second, year = int(m.group(1)), int(m.group(3)), m.group(4)
    month, day = (first, second) if m.group(2) == "/" else (second, first)
    if month > 12 and day <= 12:
        month, day = day, month
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return m.group(0)
    return _ordinal_date(month, day, year if len(year) == 4 else "20" + year)


def _month_of(name: str) -> int:
    return next(i for i, full in enumerate(MONTHS, 1) if full.lower().startswith(name[:3].lower()))


def _month_date(m: re.Match[str]) -> str:
    day = int(m.group("day")) if m.group("day") else None
    if (day is None and not m.group("year")) or (day is not None and not 1 <= day <= 31):
        return m.group(0)
    return _ordinal_date(_month_of(m.group("mon")), day, m.group("year"))


def _day_month(m: re.Match[str]) -> str:
    day = int(m.group("day"))
    if not 1 <= day <= 31:
        return m.group(0)
    spoken = f"the {num2words(day, to='ordinal')} of {MONTHS[_month_of(m.group('mon')) - 1]}"
    return spoken + (f" {num2words(int(m.group('year')), to='year')}" if m.group("year") else "")


def _time(m: re.Match[str]) -> str:
    """9:30 -> nine thirty; 9am -> nine a.m.; 17:30 or 09:00 (24-hour clock) -> five thirty p.m."""
    hour, minute = int(m.group("h")), int(m.group("m") or 0)
    suffix = (m.group("ampm") or "").lower().replace(".", "")
    if not suffix and (hour > 12 or m.group("h").startswith("0")):
        if hour == 0 and minute == 0:
            return "midnight"
        suffix = "pm" if hour >= 12 else "am"
        hour = hour - 12 if hour > 12 else hour or 12
    spoken = number_words(hour)
    if minute == 0:
        if not suffix:
            spoken += " o'clock"
    elif minute < 10:
        spoken += f" oh {number_words(minute)}"
    else:
        spoken += f" {number_words(minute)}"
    return spoken + {"am": " a.m.", "pm": " p.m.", "": ""}[suffix]


# --- amounts ------------------------------------------------------------------------------

def _money(m: re.Match[str]) -> str:
    code = m.group("code") or m.group("code2") or ""
    one, many, minor_one, minor_many = CURRENCIES[m.group("sym") or code.upper()]
    amount = (m.group("amount") or m.group("amount2") or m.group("amount3")).replace(",", "")
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


def _unit(m: re.Match[str]) -> str:
    amount = m.group("n").replace(",", "")
    one, many = UNITS[m.group("u") or m.group("a")]
    return f"{number_words(amount)} {one if float(amount) == 1 else many}"


def _number(m: re.Match[str]) -> str:
    """Plain numbers; 1900-2099 without a thousands comma read as years ("twenty twenty-four");
    a letter right after the number is set apart ("3B" -> "three B")."""
    text = m.group(0)
    spoken = str(num2words(int(text), to="year")) if re.fullmatch(r"(19|20)\d\d", text) else None
    spoken = spoken or number_words(text)
    return spoken + (" " if m.string[m.end() : m.end() + 1].isalpha() else "")


def _version(m: re.Match[str]) -> str:
    """2.3.1 -> two point three point one."""
    return " point ".join(map(number_words, m.group(0).split(".")))


def _decade(m: re.Match[str]) -> str:
    """1990s -> nineteen nineties, 90s -> nineties."""
    number = int(m.group(1))
    spoken = str(num2words(number, to="year")) if number >= 1000 else number_words(number)
    return spoken[:-1] + "ies"


def _weekday(name: str) -> str:
    return WEEKDAYS[name[:3].lower()]


_AMPM = r"(?P<ampm>[ap]\.?m\.?)"
_MONTH = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)"
)
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_NOT_TIME_OR_DECIMAL = r"(?![\d:]|[.,]\d|\s?[ap]\.?m\b)"
_WEEKDAY = r"(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun)(?:day|sday|nesday|rsday|urday)?"
_KEY = r"(?:[*#]?\d+[*#]?|[*#])"
_ID_KIND = (
    r"(?P<kind>PIN|passcode|password|(?:access |security |promo |area |verification )?code|zip(?: code)?"
    r"|postcode|postal code|account|acct\.?|order|reference|ref\.?|confirmation|tracking|invoice"
    r"|case|claim|policy|member(?:ship)?|customer|booking|reservation|serial|ticket|routing|ID"
    r"|ending in|ext\.?|extension)"
)
_ID_FILLER = r"(?:\s*(?:(?:number|no|is|was|of|will be)\b\.?|[#:]))*"
_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MONEY = (
    rf"(?P<sym>[$€£¥])\s?(?P<amount>{_NUMBER})"
    r"(?P<scale>\s?(?:million|billion|thousand|bn|k|m)\b)?"
    rf"|(?P<amount2>{_NUMBER})\s?(?P<code>USD|EUR|GBP)\b"
    rf"|\b(?P<code2>USD|EUR|GBP)\s?(?P<amount3>{_NUMBER})"
)

_RULES: list[Rule] = [
    # addresses first: their dots and digits belong to them
    (re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b"), _email),
    (
        re.compile(
            rf"(?:\bhttps?://(?:www\.)?(?P<host>[\w.-]+\w(?::\d+)?)|(?<![\w.-])(?:www\.)?(?P<known>[a-z0-9-]+(?:\.[a-z0-9-]+)*"
            rf"\.(?:{TOP_LEVEL_DOMAINS})))(?P<path>/[^\s<>()]*[^\s<>().,;:!?'\"])?(?![\w@-]|\.\w)",
            re.I,
        ),
        _web_address,
    ),
    # dates before phone numbers (2024-05-01 has phone-like dashes)
    (re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b"), _iso_date),
    (re.compile(r"\b(\d{1,2})([/.])(\d{1,2})\2(\d{4}|\d{2})\b(?![.,]\d)"), _numeric_date),
    (re.compile(r"\b24/7\b"), lambda m: "twenty-four seven"),
    # digit by digit
    (re.compile(r"(?i)\b(?:ext\.?|extension)\s?(\d{1,6})\b"), _extension),
    (re.compile(r"(?<=[-.]\d{4})\s?x(\d{1,6})\b"), _extension),
    (
        re.compile(
            r"(?<![\w+.,$€£/-])(?P<number>(?:\+\d{1,3}[\s.-]?)?(?:\(0\)\s?)?(?:\(\d{2,5}\)\s?)?"
            r"\d{1,5}(?:[\s.-](?:\d{1,5}|[A-Z]{2,8}(?![a-z])))+)"
            r"(?:\s?\((?P<check>\d{3,})\))?(?!\w|[.,]\d)"
        ),
        _phone,
    ),
    (
        re.compile(
            rf"\b(?P<verb>press|dial|call|text|push|key in|enter|type|tap)\s+"
            rf"(?P<keys>{_KEY}(?:(?:\s*,\s*|\s+(?:or|and|then|followed by)\s+){_KEY})*)"
            r"(?![\d*#]|[\w.,:]\d|\s*-?\s*(?:digits?|numbers?|times|characters|days|weeks|hours|minutes|business)\b)",
            re.I,
        ),
        _keys,
    ),
    (
        re.compile(
            rf"(?P<lead>\b{_ID_KIND}{_ID_FILLER}\s*(?:#\s?)?)"
            r"(?P<code>(?=[A-Z0-9-]*\d)[A-Z0-9]+(?:-[A-Z0-9]+)*)(?![\w%]|[.,:]\d)",
            re.I,
        ),
        _identifier,
    ),
    (re.compile(r"(?<![\w.])(?:#|No\.)\s?(\d{3,})\b"), lambda m: "number " + digit_groups(m.group(1))),
    (re.compile(r"(?<=\d)#|(?<!\S)#(?=[\s.,;:!?)]|$)"), lambda m: " hash"),
    (re.compile(r"(?<![\w*])\*(\d+)"), lambda m: " star " + digit_by_digit(m.group(1))),
    (re.compile(r"(?<!\S)\*(?=[\s.,;:!?)]|$)"), lambda m: " star "),
    # dates with month names
    (re.compile(rf"\b{_MONTH}\.?\s(?=\d)(?:{_DAY}{_NOT_TIME_OR_DECIMAL})?(?:,?\s?{_YEAR}\b)?"), _month_date),
    (re.compile(rf"(?:\bthe\s)?\b{_DAY}\s(?:of\s)?{_MONTH}\b(?:\.?,?\s{_YEAR}\b)?", re.I), _day_month),
    # ranges: "9-5", "10-20%", "$5-$10", "9am-5pm", "Mon-Fri"
    (
        re.compile(r"(?:(?<=[\d%])|(?<=[ap]m)|(?<=[AP]M)|(?<=[ap]\.m\.))\s?[–—-]\s?(?=[$€£]?\d)"),
        lambda m: " to ",
    ),
    (
        re.compile(
            rf"\b({_WEEKDAY})\.?\s?(?:[–—-]|\bthru\b|\bthrough\b)\s?({_WEEKDAY})(?!\w)(?:\.(?=\s+[a-z\d]))?",
            re.I,
        ),
        lambda m: f"{_weekday(m.group(1))} to {_weekday(m.group(2))}",
    ),
    (
        re.compile(r"\b(?:Mon|Tues?|Wed|Thu(?:rs?)?|Fri)\b|\b(?:Sat|Sun)\b(?=\.?\s?[\d:,&])"),
        lambda m: _weekday(m.group(0)),
    ),
    # amounts
    (
        re.compile(r"(?<=\d)\s?/\s?(person|night|day|hour|hr|month|mo|year|yr|week|wk|user|seat|item|minute|min)\b"),
        lambda m: " per " + PER.get(m.group(1), m.group(1)),
    ),
    (re.compile(_MONEY, re.I), _money),
    (re.compile(r"(?<![\w.])(\d+)\s?¢"), lambda m: f"{number_words(m.group(1))} cents"),
    (re.compile(rf"({_NUMBER})\s?%"), lambda m: f"{number_words(m.group(1))} percent"),
    (re.compile(rf"\b(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)(?:\s?{_AMPM}(?!\w))?(?!\d)", re.I), _time),
    (re.compile(rf"\b(?P<h>1[0-2]|0?[1-9])\.(?P<m>[0-5]\d)\s?{_AMPM}(?!\w)", re.I), _time),
    (re.compile(rf"\b(?P<h>1[0-2]|0?[1-9])(?P<m>)\s?{_AMPM}(?!\w)", re.I), _time),
    (
        re.compile(
            rf"(?<![\w.])(?P<n>{_NUMBER})(?:\s?(?P<u>sq ft|km/h|kg|lbs?|oz|km|mi|cm|mm|ft|ml|mL|KB|MB|GB|TB"
            r"|Mbps|Gbps|mph|kWh|hrs?|mins?|secs?)|(?P<a>g|L|h))\b"
        ),
        _unit,
    ),
    (re.compile(r"\b(\d+)(st|nd|rd|th)\b", re.I), lambda m: str(num2words(int(m.group(1)), to="ordinal"))),
    (re.compile(r"\b((?:1[0-9]|20)?[1-9]0)'?s\b"), _decade),
    (re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w.]\d)"), _version),
    # codes: mixed letters and digits, leading zeros, long digit runs, ZIP codes after a state
    (
        re.compile(r"(?<![\w-])(?=[A-Z0-9-]*\d)(?=[A-Z0-9-]*[A-Z])(?=\S*(?:\d\S*\d\S*\d|[A-Z]\d+[A-Z]))"
                   r"[A-Z0-9]+(?:-[A-Z0-9]+)*(?![\w-])"),
        lambda m: spoken_code(m.group(0)),
    ),
    (re.compile(r"(?<![\w.,$€£])0\d+(?!\d|[.,]\d)"), lambda m: digit_groups(m.group(0))),
    (re.compile(r"(?<![\w.,$€£])\d{6,}(?<!000)(?!\d|[.,]\d)"), lambda m: digit_groups(m.group(0))),
    (re.compile(r"(?<=\b[A-Z]{2} )\d{5}\b(?![.,]\d)"), lambda m: digit_by_digit(m.group(0))),
    (re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]? \d[A-Z]{2}\b"), lambda m: spoken_code(m.group(0))),  # UK postcode
    (re.compile(r"#\s?(?=\d)"), lambda m: "number "),
    (re.compile(r"(?<![\w.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?!\d)|(?<![\w.])\d+(?:\.\d+)?(?!\d)"), _number),
]


def normalize_for_speech(text: str) -> str:
    """One sentence of text as it should be spoken (see the module docstring)."""
    text = strip_markdown(text)
    for abbreviation, spoken in ABBREVIATIONS.items():
        text = re.sub(rf"(?<!\w){re.escape(abbreviation)}(?!\w)", spoken, text, flags=re.I)
    for pattern, replace in _RULES:
        text = pattern.sub(replace, text)
    for symbol, spoken in SYMBOLS.items():
        text = text.replace(symbol, spoken)
    text = re.sub(r"[*_#`\\^<>{}\[\]]", " ", text)
    text = re.sub(r"\s+", " ", text).replace("a.m..", "a.m.").replace("p.m..", "p.m.")
    return re.sub(r"\s+([,.!?;:)])", r"\1", text).strip()
