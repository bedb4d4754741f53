"""Is the caller's speculative transcript a finished turn? Read from its last words and punctuation.

The listener transcribes the utterance at each pause anyway (to reuse the text when the turn ends),
so reading it costs microseconds. The recogniser (Moonshine tiny) punctuates: it ends a stretch that
sounds finished with a full stop or a question mark, and one that sounds like a list or a clause
going on with a comma. It also puts a full stop after cut-off words ("It was the age of."), so the
last word is read too:

- **unfinished** — the caller is in the middle of something: the text ends on a comma, a dash or
  an ellipsis, or its last word is a filler ("uh", "um"), a conjunction ("and", "because"), a
  preposition ("to", "of"), an article or determiner ("the", "a", "some"), a possessive ("my"), a
  subject pronoun ("I", "we"), a form of "be" or another auxiliary ("is", "can"), or a digit after
  which more digits may come ("my order number is 4 5"). The turn waits up to
  `turns.unfinished_silence_ms`.
- **complete** — it ends with a question mark, full stop or exclamation mark after a word that is
  none of those, and has at least `MIN_COMPLETE_WORDS` words. The turn ends after
  `turns.complete_silence_ms` of silence.
- **unsure** — anything else (no text, no final punctuation): the timer (`vad.end_of_turn_ms`).

The word classes were chosen by reading the dev split's pause transcripts (bench/turns); their
effect on cut-ins and delay is measured on the test split (bench/results/turns-human.md).

No library fits: LiveKit's text end-of-utterance model is licensed for LiveKit Agents only, and no
text end-of-turn model on PyPI ships its weights in the wheel (see shared notes, stack.md).
"""

from __future__ import annotations

import re
import time
from enum import StrEnum

from earpiece.core.audio.turn_verdict import TurnVerdict

FILLERS = frozenset({"uh", "um", "er", "erm", "ah", "eh", "hmm", "mm", "uhm", "umm"})
CONJUNCTIONS = frozenset({
    "and", "or", "but", "nor", "so", "because", "cause", "if", "than", "that", "which", "who",
    "whom", "whose", "when", "where", "while", "whereas", "although", "though", "unless", "until",
    "since", "whether", "as", "then", "plus",
})
PREPOSITIONS = frozenset({
    "to", "of", "in", "on", "at", "for", "with", "from", "by", "about", "into", "onto", "over",
    "under", "between", "through", "after", "before", "during", "without", "within", "like", "via",
    "per", "near", "towards", "toward", "against", "among", "across", "behind", "beyond", "upon",
})
DETERMINERS = frozenset({
    "a", "an", "the", "this", "these", "those", "some", "any", "every", "each", "another", "such",
    "my", "your", "our", "their", "his", "its", "whose", "what", "which",
})
PRONOUNS = frozenset({"i", "we", "they", "he", "she", "i'm", "we're", "they're", "i've", "i'd", "i'll"})
AUXILIARIES = frozenset({
    "is", "are", "was", "were", "am", "be", "been", "being", "have", "has", "had", "do", "does",
    "will", "would", "can", "could", "should", "shall", "may", "might", "must", "it's", "that's",
    "there's", "what's", "let's", "want", "need", "wanted", "needed", "trying", "going", "gonna",
    "wanna", "just", "very", "really", "not",
})
UNFINISHED_WORDS = FILLERS | CONJUNCTIONS | PREPOSITIONS | DETERMINERS | PRONOUNS | AUXILIARIES
MIN_COMPLETE_WORDS = 1  # "Yes." and "Thanks." are whole turns
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_FINAL = (".", "?", "!")
_GOING_ON = (",", ";", ":", "-", "\u2014", "\u2026", "...")


class Completeness(StrEnum):
    COMPLETE = "complete"
    UNFINISHED = "unfinished"
    UNSURE = "unsure"


def completeness(text: str) -> Completeness:
    """How finished the transcript `text` reads (see the module docstring)."""
    stripped = text.strip()
    words = _WORD.findall(stripped.lower())
    if not words:
        return Completeness.UNSURE
    last = words[-1]
    if stripped.endswith(_GOING_ON) or last in UNFINISHED_WORDS or last.isdigit():
        return Completeness.UNFINISHED
    if stripped.endswith(_FINAL) and len(words) >= MIN_COMPLETE_WORDS:
        return Completeness.COMPLETE
    return Completeness.UNSURE


def transcript_verdict(text: str, transcript_ms: float = 0.0) -> TurnVerdict:
    """The detector's verdict on a pause whose transcript is `text`; `transcript_ms` (the time the
    transcript took) is added to the compute time, so the decision time is what the caller waited."""
    start = time.perf_counter()
    kind = completeness(text)
    ms = round(transcript_ms + (time.perf_counter() - start) * 1000, 1)
    complete = kind is Completeness.COMPLETE
    return TurnVerdict(complete, 1.0 if complete else 0.0, ms, unfinished=kind is Completeness.UNFINISHED)
