"""Is the caller's speculative transcript a finished turn? Read from its last word and punctuation.

The listener transcribes the utterance at each pause anyway (to reuse the text when the turn ends),
so reading it costs microseconds. The recogniser (Moonshine tiny) punctuates what it hears:

- **complete** — the text ends with a question mark after a word that is not one of the words
  below (a question mark after one of them leaves the timer). The turn ends after
  `turns.complete_silence_ms` of silence.
- **unfinished** — its last word is a filler ("uh", "um"), a conjunction ("and", "because"), a
  preposition ("to", "of"), an article or determiner ("the", "some"), a possessive ("my"), a
  subject pronoun ("I", "we"), a form of "be" or another auxiliary ("is", "can"), a word that
  asks for more ("want", "trying", "very"), or a digit after which more digits may come ("my
  order number is 4 5"). The turn waits up to `turns.unfinished_silence_ms`.
- **unsure** — anything else: the timer (`vad.end_of_turn_ms`).

Why only the question mark counts as complete, and a full stop does not: on the dev split of
bench/turns, Moonshine put a full stop after most fragments cut at a mid-clause pause ("It was the
epoch." for "It was the epoch ... of belief"), and ending such turns early cut in on 15-17 % of the
cases; its question marks were rarely wrong. A comma at the end did not mark an unfinished turn
either ("No matter,", "Not now," were whole turns), so it leaves the timer. The word classes were
chosen by reading the dev split's pause transcripts; their effect is measured on the test split
(bench/results/turns-transcript.md).

No library fits: LiveKit's text end-of-utterance model is licensed for LiveKit Agents only, and the
other text end-of-turn models on PyPI are LiveKit Agents plugins that fetch their weights from a
model hub when first used (shared notes, stack.md).
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
    "there's", "what's", "let's",
})
LEADING = frozenset({  # words that ask for more: "I want", "I'm trying", "it's very", "it's not"
    "want", "need", "wanted", "needed", "trying", "going", "gonna", "wanna", "just", "very",
    "really", "not",
})
UNFINISHED_WORDS = FILLERS | CONJUNCTIONS | PREPOSITIONS | DETERMINERS | PRONOUNS | AUXILIARIES | LEADING
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


class Completeness(StrEnum):
    COMPLETE = "complete"
    UNFINISHED = "unfinished"
    UNSURE = "unsure"


def completeness(text: str) -> Completeness:
    """How finished the transcript `text` reads (see the module docstring)."""
    words = _WORD.findall(text.lower())
    if not words:
        return Completeness.UNSURE
    question = text.rstrip().endswith("?")
    if words[-1] in UNFINISHED_WORDS or words[-1].isdigit():
        # "What are you talking about?": the two signs disagree, so the timer decides
        return Completeness.UNSURE if question else Completeness.UNFINISHED
    return Completeness.COMPLETE if question else Completeness.UNSURE


def transcript_verdict(text: str, transcript_ms: float = 0.0) -> TurnVerdict:
    """The detector's verdict on a pause whose transcript is `text`; `transcript_ms` (the time the
    transcript took) is added to the compute time, so the decision time is what the caller waited."""
    start = time.perf_counter()
    kind = completeness(text)
    ms = round(transcript_ms + (time.perf_counter() - start) * 1000, 1)
    complete = kind is Completeness.COMPLETE
    return TurnVerdict(complete, 1.0 if complete else 0.0, ms, unfinished=kind is Completeness.UNFINISHED)
