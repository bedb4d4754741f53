"""What kind of fact a text holds: a price, a day or time, a duration, a place, a phone number...

Used both ways: to tell whether a candidate sentence can answer a question of a given type, and to
find the figures a model's sentence asserts (the fact check).
"""

from __future__ import annotations

import re
from enum import StrEnum

from earpiece.core.answers.words import content_words, tokens


class AnswerType(StrEnum):
    PRICE = "price"
    TIME = "time"  # days, dates, clock times, opening hours
    DURATION = "duration"
    PLACE = "place"
    PHONE = "phone"
    EMAIL = "email"
    WEBSITE = "website"
    NUMBER = "number"  # how many / how old / what age
    MEASURE = "measure"  # "how ___ do I...", its degree word misheard ("long", "much"): a duration or a price
    POLICY = "policy"  # can I / is it / are dogs allowed: a yes-or-no rule
    CONSEQUENCE = "consequence"  # what happens if / what if: what follows from a condition
    OTHER = "other"  # what / how do I: no particular shape


_NUMBER_WORDS = (
    "zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    "sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    "a few|several|a couple of|half an?|an?"
)
_NUM = rf"(?:\d[\d,.]*|{_NUMBER_WORDS})"
_DAYS = (
    r"monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun|"
    r"weekdays?|weekends?|weekly|daily|every day|bank holidays?|public holidays?|holidays?|"
    r"today|tomorrow|tonight"
)
_MONTHS = (
    r"january|february|march|april|may|june|july|august|september|october|november|december|"
    r"jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_UNITS = r"(?:minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|yrs?|seconds?)"

PRICE_TEXT = re.compile(
    rf"[£$€¥]\s?\d|\d\s?(?:£|€|p\b)|\b{_NUM}\s+(?:pounds?|pence|dollars?|cents?|euros?|usd|gbp|eur)\b|"
    r"\bfree(?:\s+of\s+charge)?\b|\bno\s+(?:charge|cost|fee)\b|\bcomplimentary\b|\bwithout charge\b|"
    r"\bdiscount(?:s|ed)?\b|\breduced (?:price|rate|fee)s?\b|\bhalf[- ]price\b",
    re.IGNORECASE,
)
# An amount of money, as opposed to "free" or "discounted": "how much is the Standard plan?" is not
# answered by "many organisations get the Standard plan free".
PRICE_FIGURE = re.compile(
    rf"[£$€¥]\s?\d|\d\s?(?:£|€|p\b)|\b{_NUM}\s+(?:pounds?|pence|dollars?|cents?|euros?|usd|gbp|eur)\b",
    re.IGNORECASE,
)
TIME_TEXT = re.compile(
    rf"\b(?:{_DAYS})\b|\b(?:{_MONTHS})\b|\b\d{{1,2}}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{{1,2}}[:.]\d\d\b|"
    r"\b(?:noon|midday|midnight|closed|24/7|round the clock|all year|year-round|24 hours)\b|"
    r"\b\d{1,2}(?:st|nd|rd|th)\b|\b\d{4}\b",
    re.IGNORECASE,
)
DURATION_TEXT = re.compile(
    rf"\b{_NUM}(?:\s*(?:-|to|–|or)\s*{_NUM})?[\s-]*(?:working\s+|business\s+|calendar\s+|full\s+)?{_UNITS}\b|"
    r"\b(?:overnight|same[ -]day|next[ -](?:working[ -])?day|instantly|immediately|straight away)\b",
    re.IGNORECASE,
)
# "When" also asks for a moment fixed by some event: "at the end of the billing period".
_WHEN_TEXT = re.compile(
    r"\b(?:at|by|until|till|before|after|from) the (?:end|start|beginning|close) of\b|\bas soon as\b|"
    r"\b(?:immediately|right away|straight away)\b|\bnext (?:business|working) day\b|\bthe same day\b",
    re.IGNORECASE,
)
PLACE_TEXT = re.compile(
    r"\b(?:street|st\.|road|rd\.?|avenue|ave\.?|lane|boulevard|blvd|square|drive|way|place|floor|suite|"
    r"building|park|centre|center|located|address|entrance|gate|station|terminal|level|room|desk|counter|"
    r"next to|opposite|behind|near|inside|outside|north|south|east|west)\b|"
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{5}(?:-\d{4})?\b|\b\d+\s+[A-Z][a-z]+\s+(?:St|Street|Road|Ave)",
    re.IGNORECASE,
)
# A postal address: "what's the mailing address?" is not answered by an e-mail or web address.
POSTAL_TEXT = re.compile(
    r"\b\d+[A-Za-z]?\s+(?:[A-Z][\w.]*\s+){1,3}(?:street|st|road|rd|avenue|ave|lane|ln|boulevard|blvd|drive|dr|"
    r"way|place|pl|court|ct|square|sq|parkway|pkwy|highway|hwy)\b\.?|\bp\.?\s?o\.?\s+box\s+\d+|"
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b[A-Z]{2}\s+\d{5}(?:-\d{4})?\b|\bsuite\s+\d+",
    re.IGNORECASE,
)
PHONE_TEXT = re.compile(r"(?:\+|\b)\d[\d\s().-]{6,}\d\b|\b\d{3}-\d{3}-[A-Z0-9]{4}\b|\b1-8\d\d\b")
EMAIL_TEXT = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
WEBSITE_TEXT = re.compile(
    r"\bhttps?://\S+|\bwww\.\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|gov|edu|uk|ie|io|co|example|info|us|eu|ca)"
    r"(?:/\S*)?\b|\bwebsite\b|\bonline\b|\bapp\b",
    re.IGNORECASE,
)
# A count is a figure or a number word; "a", "an", "a few" and "several" are not an answer to "how many".
_COUNT_WORDS = _NUMBER_WORDS.split("|a few")[0] + "|dozens?|unlimited|no limit"
NUMBER_TEXT = re.compile(rf"\d|\b(?:{_COUNT_WORDS})\b(?<!\bone)|\bone\b(?!\s+of\b)", re.IGNORECASE)
_COUNT_WORD = re.compile(rf"\d+|{_COUNT_WORDS}", re.IGNORECASE)
POLICY_TEXT = re.compile(
    r"\b(?:can|cannot|can't|may|must|mustn't|should|need|needs|required?|requires|allowed|not allowed|"
    r"permitted|prohibited|forbidden|welcome|only|not|no|never|always|yes|accept|accepts|accepted|eligible|"
    r"possible|available|includes?|included|covers?|covered|do not|don't|does not|doesn't|are not|is not|"
    r"aren't|isn't|won't|will|except|unless|exempt)\b",
    re.IGNORECASE,
)

# An outcome tied to a condition: "If you cancel your plan, your organization will be downgraded".
CONSEQUENCE_TEXT = re.compile(r"\b(?:if|unless|when|whenever|once|otherwise|in case)\b", re.IGNORECASE)

EVIDENCE: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.PRICE: PRICE_TEXT,
    AnswerType.TIME: re.compile(f"{TIME_TEXT.pattern}|{_WHEN_TEXT.pattern}", re.IGNORECASE),
    AnswerType.DURATION: DURATION_TEXT,
    # "Where can I check...": a web address or "online" is a place too.
    AnswerType.PLACE: re.compile(f"{PLACE_TEXT.pattern}|{WEBSITE_TEXT.pattern}", re.IGNORECASE),
    AnswerType.PHONE: PHONE_TEXT,
    AnswerType.EMAIL: EMAIL_TEXT,
    AnswerType.WEBSITE: WEBSITE_TEXT,
    AnswerType.NUMBER: NUMBER_TEXT,
    AnswerType.MEASURE: re.compile(f"{DURATION_TEXT.pattern}|{PRICE_FIGURE.pattern}", re.IGNORECASE),
    AnswerType.POLICY: POLICY_TEXT,
    AnswerType.CONSEQUENCE: CONSEQUENCE_TEXT,
}


def has_evidence(answer_type: AnswerType, text: str) -> bool:
    """Whether `text` can hold an answer of this type (OTHER: any text can)."""
    pattern = EVIDENCE.get(answer_type)
    return True if pattern is None else bool(pattern.search(text))


# "within 24 hours", "after six hours": a stretch of time from some event.
_INTERVAL = re.compile(
    rf"\b(?:within|after|in|for|up to|wait(?:ing)?|takes?|lasts?)\s+(?:about\s+)?(?:{DURATION_TEXT.pattern})",
    re.IGNORECASE,
)


# Time words that say when something happens but not at what hours: "several entrances are closed
# during winter" does not answer "what time does the visitor center open?".
_NOT_CLOCK = re.compile(r"closed|\d{4}", re.IGNORECASE)


# A time of day: "what time does the store close?" is not answered by "open May 15th through October 15th".
TIME_OF_DAY = re.compile(
    r"\b\d{1,2}(?::\d\d)?\s?(?:am|pm|a\.m\.|p\.m\.)|\b\d{1,2}[:.]\d\d\b|"
    r"\b(?:noon|midday|midnight|24/7|round the clock|24 hours|sunrise|sunset|dawn|dusk)\b",
    re.IGNORECASE,
)


def states_clock_time(text: str) -> bool:
    """A day, date or time of day other than an interval: "within 24 hours" can say when a result
    comes, but not what time a place opens."""
    return any(_NOT_CLOCK.fullmatch(m.group(0)) is None for m in TIME_TEXT.finditer(_INTERVAL.sub(" ", text)))


COUNT_REACH = 3  # words between a count and what it counts: "a set of ten codes", "credits: 50"
# "one of the eligible types", "each one", "this one": "one" as a pronoun, not a count.
_PRONOUN_ONE_BEFORE = frozenset(("each", "this", "that", "which", "any", "every", "no", "the", "another"))


def counts(text: str, counted: frozenset[str]) -> bool:
    """Whether `text` gives a count of one of the `counted` terms ("ten codes" for "how many backup
    codes"): a figure or number word within a few words of the term, on either side. "Six hours"
    does not answer "how many times"."""
    words = tokens(text)
    at = [i for i, w in enumerate(words) if content_words(w) & counted]
    numbers = [i for i, w in enumerate(words) if _COUNT_WORD.fullmatch(w) and not _pronoun_one(words, i)
               and not _counts_time(words, i, counted)]
    return any(abs(n - t) <= COUNT_REACH for n in numbers for t in at)


_TIME_UNIT = re.compile(_UNITS)


def _counts_time(words: list[str], i: int, counted: frozenset[str]) -> bool:
    """A figure that counts a stretch of time ("too many times. Please wait 10 minutes"), when what
    was asked about is not one."""
    after = words[i + 1] if i + 1 < len(words) else ""
    return bool(_TIME_UNIT.fullmatch(after)) and not content_words(after) & counted


def _pronoun_one(words: list[str], i: int) -> bool:
    if words[i] != "one":
        return False
    after = words[i + 1] if i + 1 < len(words) else ""
    return after == "of" or (i > 0 and words[i - 1] in _PRONOUN_ONE_BEFORE)
