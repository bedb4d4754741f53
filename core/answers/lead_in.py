"""The pleasantries callers say before their question ("sorry to interrupt, ...", "hi, quick
question: ...", "um, I was wondering if ..."), which name nothing the knowledge base holds.

The rule: from the start of what was said, drop every phrase of a closed list of greetings,
apologies, fillers and question frames, each standing as a whole phrase (followed by a space,
punctuation or the end: "hi-fi" is no "hi"), for as long as they follow one another; words that are
also ordinary words ("well", "right", "okay", "please") only when a pause (punctuation) follows them
("well, ..." is a lead-in, "well water" is not). What remains is the question; if nothing remains,
the text is left as it was. A frame that ends in "if" or "whether" wraps a yes-or-no question,
which is put back in question order ("I was wondering if I could bring my dog" -> "could I bring
my dog"), so it is still asked as a yes or no.
"""

from __future__ import annotations

import re

_APOSTROPHE = "['’]"
# Whole phrases, longest first where one begins another.
_PHRASES = (
    r"(?:hi|hello|hey|hiya)(?: there)?",
    r"good (?:morning|afternoon|evening|day)",
    r"um+", r"uh+", r"erm*", r"hmm+",
    r"(?:so )?sorry(?: (?:to|for) (?:interrupt(?:ing)?|bother(?:ing)?(?: you)?|(?:the )?trouble))?",
    r"excuse me", r"pardon(?: me)?",
    r"thanks?(?: you)?(?: (?:so|very) much)?",
    r"(?:just )?(?:a )?quick question",
    r"(?:one|another) (?:more |last |other |quick )*(?:thing|question)",
    rf"(?:i|i{_APOSTROPHE}ve) (?:have |had |got )+(?:a|one|another) "
    r"(?:quick |small |short |simple )?question",
)
# Words that are lead-ins only when a pause follows them ("well, ..." but "well water").
_INTERJECTIONS = (
    r"ok(?:ay)?", r"well", r"right", r"yes", r"yeah", r"yep", r"anyway", r"please", r"ah", r"oh",
)
# Frames around the question itself; an optional "if" / "whether" ends them (group "embedded").
_FRAMES = (
    rf"(?:i was|i{_APOSTROPHE}m|i am) (?:just )?wondering",
    rf"(?:i{_APOSTROPHE}d|i would) like to (?:know|ask)",
    r"i (?:want|wanted|need|needed) to (?:know|ask)",
    r"(?:can|could|would|will) you (?:please )?tell me",
    r"do you (?:happen to )?know(?= (?:if|whether|what|when|where|which|who|how|why)\b)",
)
_END = r"(?=[\s,.:;!?–—]|$)[\s,.:;!?–—-]*"
_PAUSE = r"\s*[,.:;!?–—]+\s*"
_LEAD_IN = re.compile(
    rf"(?:(?:{'|'.join(_PHRASES)}){_END}|(?:{'|'.join(_INTERJECTIONS)}){_PAUSE})*"
    rf"(?:(?:{'|'.join(_FRAMES)})(?: (?P<embedded>if|whether))?{_END})?",
    re.IGNORECASE,
)
# The subject and verb of an embedded yes-or-no question: "(if) I could ..." -> "could I ...".
_STATEMENT_ORDER = re.compile(
    r"^(?P<subject>i|we|you|they|it|there|he|she)\s+"
    r"(?P<verb>can|could|may|might|will|would|should|must|shall|am|is|are|was|were|do|does|did|have|has)\b",
    re.IGNORECASE,
)


def without_lead_in(text: str) -> str:
    """`text` without the pleasantries before the question (see the module's rule)."""
    said = text.strip()
    lead = _LEAD_IN.match(said)
    if lead is None or not lead.group(0):
        return said
    rest = said[lead.end():].strip()
    if not rest:
        return said
    if lead.group("embedded"):
        rest = _STATEMENT_ORDER.sub(lambda m: f"{m['verb']} {m['subject']}", rest, count=1)
    return rest
