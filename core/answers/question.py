"""What a caller's question asks for (its answer type and focus terms), and short follow-ups
("and on Saturdays?", "how much is it?") made whole with the previous question.

A question is read without the pleasantries before it ("sorry to interrupt, ..."; see `lead_in`)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from earpiece.core.answers.evidence import AnswerType
from earpiece.core.answers.lead_in import without_lead_in
from earpiece.core.answers.words import STOPWORDS, content_words, tokens
from earpiece.core.llm.factcheck import written_numbers

_TYPE_RULES: tuple[tuple[AnswerType, re.Pattern[str]], ...] = (
    # "How on do I have to return a product for a refund?" (Moonshine's "how long"): a word that
    # cannot follow "how" before "do I", "is it"... stands where a degree word was lost ("long",
    # "much", "soon"). It asks for a measure, not for any sentence like the rest of it (which read
    # "do I have to return a product" and got "products from other retailers must be returned...").
    (AnswerType.MEASURE, re.compile(
        r"^how (?:on|in|at|of|for|from|by|with|into|the|a|an|and|or|but|any) "
        r"(?:do|does|did|is|are|was|were|can|could|will|would|should|have|has|had)\b")),
    # What follows from a condition: "what if the metal detector goes off?", "if I cancel my plan,
    # what happens to my organization?" (not "what happens to unused money?": no condition).
    (AnswerType.CONSEQUENCE, re.compile(
        r"\bwhat (?:happens|will happen|would happen|happened) (?:if|when|once|after)\b|\bwhat if\b|"
        r"^if\b.*\bwhat (?:happens|will happen|would happen)\b")),
    (AnswerType.DURATION, re.compile(
        r"\bhow (?:long|soon|quickly|fast)\b|"
        r"\bhow (?:much|many) (?:time|days|weeks|hours|minutes|months|years)\b|"
        r"\bturnaround\b|\bwait(?:ing)? times?\b")),
    (AnswerType.NUMBER, re.compile(
        r"\bhow much (?!is\b|are\b|does\b|do\b|will\b|would\b|for\b|to\b|it\b|money\b|did\b|was\b|"
        r"should\b|cost|extra\b|more\b|less\b|of\b|in\b|per\b)[a-z]+")),
    # "How do agencies pay for it?" asks for a way to pay, not an amount; "can we pay with a credit
    # card?" is a yes or no about one.
    (AnswerType.POLICY, re.compile(
        r"^(?:can|could|may|do|does) (?:i|we|you|they) pay\b.*\b(?:with|by|using|via|in)\b")),
    (AnswerType.OTHER, re.compile(r"^how (?:do|can|should|would|could|will|does) (?:[a-z]+ ){1,3}pay\b")),
    (AnswerType.PRICE, re.compile(
        r"\bhow much\b|\bcosts?\b|\bprices?\b|\bpriced\b|\bfees?\b|\bcharges?\b|\bexpensive\b|\bcheap\b|"
        r"\bpay for\b|\brates?\b|\bfares?\b|\btariffs?\b|\bis (?:it|there) free\b|\bfree of charge\b")),
    (AnswerType.EMAIL, re.compile(r"\be ?mail\b")),
    (AnswerType.WEBSITE, re.compile(
        r"\bwebsite\b|\bweb site\b|\burl\b|\bweb address\b|\bweb ?page\b|\blink\b")),
    (AnswerType.TIME, re.compile(
        r"^when\b|\bwhen (?:do|does|is|are|can|will|should)\b|\bwhat time\b|\bwhat hours\b|\bwhich days?\b|"
        r"\bwhat days?\b|\bopening (?:hours|times)\b|\bopen (?:on|at|today|tomorrow|late|until|till)\b|"
        r"\b(?:close|closes|closing) (?:on|at|time)\b|\bwhat date\b|\bwhich date\b|\bdeadline\b|\bhours\b|"
        r"\bopen (?:on )?(?:sundays?|saturdays?|mondays?|weekends?|bank holidays?)\b|"
        # Open in a season or month: "is the South Rim open in the winter?" asks when, not a rule.
        r"\bopen (?:in|during|over|through|throughout) (?:the )?(?:winter|summer|spring|autumn|fall|"
        r"off[ -]?season|holidays?|christmas|january|february|march|april|may|june|july|august|"
        r"september|october|november|december)\b|\bopen (?:all|year)")),
    (AnswerType.PHONE, re.compile(
        r"\b(?:tele)?phone (?:number|no)\b|"
        r"\bnumber (?:for|of) (?:the )?[a-z]+ (?:line|desk|office|center|centre)\b|"
        r"\bnumber (?:to|do i|should i|can i) (?:call|ring|dial|phone)\b|"
        r"\bwhat number\b|\bcontact number\b|\bhotline\b|\bhelpline\b|\bcall (?:you|them|someone)\b|"
        # An office's number: "what's the lost and found number at the Austin airport?".
        # (Not "booking number" or "order number": those are references.)
        r"\b(?:lost and found|customer service|support|help ?desk|front desk|reception|main|toll free) "
        r"(?:phone )?number\b|\bnumber (?:at|for) the\b|"
        r"\bring (?:you|them)\b|\bfax\b")),
    (AnswerType.PLACE, re.compile(
        r"^where\b|\bwhere(?:'s| is| are| do| can| should| would)\b|\baddress\b|\blocated\b|\blocation\b|"
        r"\bdirections\b|\bhow (?:do i|can i|to) (?:get|find) (?:to|you)\b|"
        r"\bwhich (?:entrance|building|floor|office)\b")),
    # A limit as a thing ("the upload limit"), not as a verb ("are you going to limit history?").
    (AnswerType.NUMBER, re.compile(
        r"\bhow many\b|\bhow old\b|\bwhat age\b|\bhow big\b|\bhow far\b|\bhow heavy\b|\bhow tall\b|"
        r"\b(?:minimum|maximum) (?:age|number|size|weight)\b|\bage limit\b|(?<!to )\blimit\b")),
    (AnswerType.POLICY, re.compile(
        r"^(?:so |and |but |then |also )?(?:can|could|may|is|are|do|does|will|am|have|has|should|must|"
        r"would|did|shall|was|were)\b|\ballowed\b|\bpermitted\b|\bokay to\b|\bok to\b")),
)

_FOLLOW_UP_START = re.compile(r"^(?:(?:and|but|also|so|or|then|what about|how about|what if)\b[\s,]*)+")
_FOLLOW_UP_START_ANY_CASE = re.compile(_FOLLOW_UP_START.pattern, re.IGNORECASE)
_PRONOUNS = frozenset(("it", "that", "this", "they", "them", "those", "these", "there", "one", "ones"))
_WEEKDAY = re.compile(
    r"\b(?:mondays?|tuesdays?|wednesdays?|thursdays?|fridays?|saturdays?|sundays?|weekends?|weekdays?|"
    r"bank holidays?|public holidays?)\b"
)
FOLLOW_UP_MAX_WORDS = 6
# A question opening with "and", "what about", "what if"... leans on the previous one even when the
# caller says more ("and how many points do I need on the moving around bit?"); up to this long.
FOLLOW_UP_OPENED_MAX_WORDS = 16


@dataclass(frozen=True, slots=True)
class Question:
    text: str
    answer_type: AnswerType
    focus: frozenset[str]
    counted: frozenset[str] = frozenset()  # "how many backup codes" -> {"backup", "code"}
    clock: bool = False  # it asks what time or which hours (opening, closing), not how soon
    time_of_day: bool = False  # "what time...": a time of day, not a season or a date
    postal: bool = False  # "what's your mailing address?": a street or post box, not a web address
    procedure: bool = False  # "how do I reset my password?": the steps, from the first
    amount: bool = False  # it asks how much ("what does it cost?"), not whether ("do we have to pay?")
    numbers: frozenset[str] = frozenset()  # figures the caller named in digits ("the limit for 2009")


_AMOUNT = re.compile(r"\bhow much\b|\bcosts?\b|\bprices?\b|\bfees?\b|\brates?\b|\bfares?\b|\bcharges?\b")
_YES_NO = re.compile(r"^(?:so |and |but |then |also )?(?:does|do|is|are|will|would|was|did)\b")
_POSTAL = re.compile(r"\b(?:mailing|postal|post|street|physical|office|head office|headquarters) address\b|"
                     r"\bwhere (?:do|can|should) i (?:send|mail|post) \b")
_PROCEDURE = re.compile(r"\bhow (?:do|can|should|would|could) (?:i|we|you)\b|\bhow to\b|\bwhat steps\b")


# Words that say what kind of fact is asked, not what it is about: the answer-type features weigh
# the kind, and as focus terms they counted against every candidate ("what happens to my
# organization?" is answered by "...will be downgraded", which says no "happen"; "how fast will you
# tell us?" by "within 3 business hours").
_KIND_WORDS = re.compile(
    r"\bhow (?:soon|quickly|quick|fast|old|big|far|heavy|tall)\b|\bwhat time\b|"
    r"\bwhat (?:happens|will happen|would happen|happened)\b",
    re.IGNORECASE,
)


_CLOCK = re.compile(r"\bwhat time\b|\bhours\b|\bopen(?:ing|s)?\b|\bclos(?:e|es|ing)\b")


_HOW_MANY = re.compile(r"\bhow (?:many|much) ([a-z']+)")
MAX_COUNTED_WORDS = 3


def _normalise(text: str) -> str:
    return " ".join(tokens(text.replace("-", " ")))


# A yes-or-no question after a leading clause: "after the wait, should I make a new account?".
_LATE_YES_NO = re.compile(
    r",\s*(?:so |and |but |then )?(?:can|could|may|is|are|do|does|will|should|must|would|shall) "
    r"(?:i|we|you|they|my|our|it|he|she|the|there)\b",
    re.IGNORECASE,
)


# A question's own lead ("how many", "how long", "when", "where", "what time"...) says what it asks
# for, whatever words come after it: "how many guest accounts do we get at no extra charge?" asks a
# count ("at no extra charge" qualifies it), "when is the fee due?" a time, not a price.
_WH_LEAD = re.compile(r"^(?:(?:so|and|but|then|also) )?(?=(?:how|when|where|what|which)\b)")


def answer_type(text: str) -> AnswerType:
    text = without_lead_in(text)
    said = _normalise(text)
    lead = _WH_LEAD.match(said)
    if lead is not None:
        asked = said[lead.end():]
        for kind, pattern in _TYPE_RULES:
            if pattern.match(asked):
                return kind
    for kind, pattern in _TYPE_RULES:
        if pattern.search(said):
            return kind
    return AnswerType.POLICY if _LATE_YES_NO.search(text) else AnswerType.OTHER


def counted_terms(text: str) -> frozenset[str]:
    """What "how many ..." / "how much ..." counts, as content terms: the words after it up to the
    first function word ("how many backup codes do I get" -> {"backup", "code"}; "how much file
    storage" -> {"file", "storage"}; "how much is it" -> none)."""
    said = _normalise(text)
    match = _HOW_MANY.search(said)
    if match is None:
        return frozenset()
    terms: list[str] = []
    for word in said[match.start(1):].split()[:MAX_COUNTED_WORDS]:
        found = content_words(word)
        if not found:
            break
        terms += found
    return frozenset(terms)


_PIECE = re.compile(r"(?<=[.!?])\s+|,\s+")
_ASKS = re.compile(
    r"^(?:(?:so|and|but|then|also|um|uh|like|okay|ok|well|honestly)\W+)*"
    r"(?:how|what|what's|whats|when|where|where's|which|who|why|can|could|is|are|do|does|did|will|would|"
    r"should|may|am|have|has|was|were)\b",
    re.IGNORECASE,
)


def opens_as_question(text: str) -> bool:
    """Whether `text` opens as a full question ("can I...", "how do...", "so what..."), not an
    elliptical one ("Calling from abroad?")."""
    return bool(_ASKS.match(text))


def question_clause(text: str) -> str:
    """What a caller asks after telling their story: from the last sentence or clause that opens
    like a question to the end ("my dad passed away last month, he was a veteran. how much does
    the VA give toward burying him?" -> "how much does the VA give toward burying him?"). The
    story says what the question is about; the question says what kind of answer it wants. The
    whole text when no later clause opens so."""
    pieces = _PIECE.split(text.strip())
    for i in range(len(pieces) - 1, 0, -1):
        if opens_as_question(pieces[i]):
            return " ".join(pieces[i:])
    return text


def analyse(text: str) -> Question:
    text = without_lead_in(text)
    kind = answer_type(question_clause(text))
    said = _normalise(text)
    clock = kind is AnswerType.TIME and bool(_CLOCK.search(said))
    time_of_day = clock and "what time" in said
    postal = kind is AnswerType.PLACE and bool(_POSTAL.search(said))
    procedure = kind is AnswerType.OTHER and bool(_PROCEDURE.search(said))
    # "does it cost anything to get a new one?", "is that what it costs?": whether one pays, which
    # "free" answers, not how much.
    whether = bool(_YES_NO.match(_normalise(question_clause(text))))
    amount = kind is AnswerType.PRICE and bool(_AMOUNT.search(said)) and not whether
    return Question(
        text, kind, frozenset(content_words(_KIND_WORDS.sub(" ", text))), counted_terms(text),
        clock=clock, time_of_day=time_of_day, postal=postal, procedure=procedure, amount=amount,
        numbers=written_numbers(text),
    )


def is_follow_up(text: str) -> bool:
    """A short question that leans on the previous one: "and on Saturdays?", "how much is it?",
    "what about if I come on my motorcycle?"."""
    words = _normalise(text).split()
    if not words:
        return False
    if _FOLLOW_UP_START.match(" ".join(words)):
        return len(words) <= FOLLOW_UP_OPENED_MAX_WORDS
    return len(words) <= FOLLOW_UP_MAX_WORDS and any(w in _PRONOUNS for w in words)


def _names(text: str, *, first_too: bool = False) -> list[str]:
    """Capitalised words other than "I" (and, unless `first_too`, the text's first word)."""
    lead = "" if first_too else r"(?<!^)(?<![.?!]\s)"
    found = re.findall(lead + r"\b([A-Z][a-zA-Z]+(?:\s+[A-Z][a-zA-Z]+)*)", text.strip())
    return [n for n in found if n != "I"]


def resolve_follow_up(text: str, previous: str) -> str:
    """The question made whole with the previous one's topic; unchanged if it is not a follow-up.

    A new day or a new name takes the place of the previous one ("and on Saturdays?" after "when
    are you open on Sunday?"; "what about Bangor?" after "...number at the Austin airport?")."""
    if not previous or not is_follow_up(text):
        return text
    rest = _FOLLOW_UP_START.sub("", _normalise(text)).strip()
    before = _normalise(previous)
    day = _WEEKDAY.search(rest)
    if day and _WEEKDAY.search(before):
        return _WEEKDAY.sub(day.group(0), before, count=1)
    new_names = _names(_FOLLOW_UP_START_ANY_CASE.sub("", text.strip()), first_too=True)
    old_names = _names(previous)
    if new_names and old_names and not rest.replace(new_names[0].lower(), "").strip():
        return before.replace(old_names[-1].lower(), new_names[0].lower(), 1)
    kind = answer_type(rest)
    if kind is AnswerType.POLICY:
        # A yes or no about the previous topic: the previous question's content words give the
        # topic, never its question words ("can I use each one more than once?" after "how many
        # backup codes do I get?" asks a yes or no, not a count).
        named = {w for n in old_names for w in n.lower().split()}
        topic = " ".join(w for w in before.split() if w not in STOPWORDS or w in named)
        return f"{rest} {topic}".strip()
    if kind is not AnswerType.OTHER:
        return f"{rest} {before}"  # it asks its own kind of thing about the previous topic
    return f"{before} {rest}"
