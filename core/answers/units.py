"""Answer units cut into the candidates the selector weighs, and how each is spoken.

A FAQ unit is one candidate (matched on its own question, spoken as its answer); a table row is
spoken as that one row; a list item with its lead-in (a procedure from its first step, or one step);
plain text and sections sentence by sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from earpiece.core.answers.question import opens_as_question
from earpiece.core.interfaces import Passage, UnitKind

# Markdown that must not be read out. A lone "*" or "#" is a keypad key ("press * then 1"), kept.
_LINE_MARKUP = re.compile(r"^\s*(?:#{1,6}\s+|[-*•]\s+|\d+[.)]\s+|>\s*)")
_EMPHASIS = re.compile(
    r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1|(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=\S)\*(?![\w*])|"
    r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=\S)_(?![\w_])"
)
_CODE_AND_PIPES = re.compile(r"`+|\s*\|\s*")
_LINK = re.compile(r"!?\[([^\]]*)\]\(\s*[^)\s]*\s*\)")  # "( /pricing/)": a template emptied at ingest
_QA_LABEL = re.compile(r"(?i)^\s*(?:q|question|a|answer)\s*[:.-]\s*")
_ROW_CELL = re.compile(r"\s*;\s*(?=[^;:]{1,60}:)")
MAX_SPOKEN_WORDS = 45
# A list's lead-in this short is a name (a plan, a park, an office) the item is said with: "Standard:
# Brand Zulip with your logo." answers "which plan...?"; a longer one is a sentence and is left out.
NAME_HEADING_WORDS = 3
LEAD_QUESTION_WORDS = 5


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thing the responder could say. `context` is what it is about (heading, FAQ question)."""

    spoken: str
    context: str
    passage: Passage
    step: bool = False  # one step of a list (a one-sentence item, or one sentence of an item alone)

    @property
    def match_text(self) -> str:
        return f"{self.context}. {self.spoken}" if self.context else self.spoken


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def strip_markup(line: str) -> str:
    line = _LINK.sub(r"\1", _LINE_MARKUP.sub("", line))
    line = _EMPHASIS.sub(lambda m: m.group(2) or m.group(3) or m.group(4), line)
    return _CODE_AND_PIPES.sub(lambda m: " " if "|" in m.group(0) else "", line).strip()


def _paragraphs(text: str) -> list[str]:
    """Lines joined into paragraphs: a wrapped line continues its paragraph; a blank line, a heading,
    a list item or a line after a title starts a new one."""
    out: list[str] = []
    current: list[str] = []
    for raw_line in text.splitlines():
        starts_block = not raw_line.strip() or bool(_LINE_MARKUP.match(raw_line))
        last = current[-1] if current else ""
        title_before = bool(last) and len(last.split()) < 5 and not last.endswith((".", ",", ";"))
        if current and (starts_block or title_before):
            out.append(" ".join(current))
            current = []
        if raw_line.strip():
            current.append(raw_line.strip())
    if current:
        out.append(" ".join(current))
    return out


# "8:00 a.m. – 7:00 p.m. Monday through Friday": a clock abbreviation followed by a day, a month or a
# lower-case word goes on with the same sentence, whatever the segmenter thought.
_CLOCK_END = re.compile(r"\b[ap]\.m\.\s*$", re.IGNORECASE)
_GOES_ON = re.compile(
    r"^(?:[a-z(–-]|(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\b)"
)


def _rejoined(segments: list[str]) -> list[str]:
    out: list[str] = []
    for segment in segments:
        if out and _CLOCK_END.search(out[-1]) and _GOES_ON.match(segment.strip()):
            out[-1] = f"{out[-1].rstrip()} {segment.strip()}"
        else:
            out.append(segment)
    return out


def sentences(text: str) -> list[str]:
    """Speakable sentences of a text: markup, headings, titles, Q/A labels and questions removed."""
    out: list[str] = []
    for paragraph in _paragraphs(text):
        if re.match(r"^\s*#{1,6}\s", paragraph):
            continue  # a markdown heading is a topic, not an answer
        line = strip_markup(paragraph)
        if len(line.split()) < 5 and not line.endswith((".", "!")):
            continue  # titles and labels
        asked = ""
        for sentence in _rejoined(_segmenter().segment(line)):
            cleaned = _QA_LABEL.sub("", sentence).strip()
            if cleaned.endswith("?"):
                # "Calling from abroad? Use +44 116 496 0330.": a short elliptical question in the
                # run of a paragraph is the condition of the sentence after it, said with it. A full
                # one ("Can I return it?") is an FAQ's question: the answer is said alone.
                short = len(cleaned.split()) <= LEAD_QUESTION_WORDS
                asked = cleaned if short and not opens_as_question(cleaned) else ""
            elif cleaned:
                out.append(f"{asked} {cleaned}" if asked else cleaned)
                asked = ""
    return out


def row_cells(text: str) -> list[tuple[str, str]]:
    """"Day: Sunday; Hours: Closed" -> [("Day", "Sunday"), ("Hours", "Closed")]."""
    cells = []
    for part in _ROW_CELL.split(text.strip().rstrip(".")):
        header, _, value = part.partition(":")
        if value.strip():
            cells.append((header.strip(), value.strip()))
        elif header.strip():
            cells.append(("", header.strip()))
    return cells


def speak_row(text: str, subject: str = "") -> str:
    """One table row as a sentence: "Sunday: closed." / "Barista One, price £349, colour black.".

    A row of one cell ("Price: £349" under "Barista One") is said with its subject, the heading."""
    cells = row_cells(text)
    if not cells:
        return text.strip()
    label = cells[0][1]
    rest = cells[1:]
    if not rest:
        header = cells[0][0]
        if subject and header:
            return f"{subject}, {header.lower()} {label}."
        return f"{label}."
    if len(rest) == 1:
        return f"{label}: {rest[0][1]}."
    return label + ", " + ", ".join(f"{h.lower()} {v}".strip() for h, v in rest) + "."


def _clip(text: str) -> str:
    words = text.split()
    return text if len(words) <= MAX_SPOKEN_WORDS else " ".join(words[:MAX_SPOKEN_WORDS]).rstrip(",;") + "…"


_DANGLING = re.compile(
    r"(?:\s[.,]|\b(?:to|at|on|in|via|visit|see|contact|from|of|the|a|an|and|or|email|call|our|your))\.?$",
    re.IGNORECASE,
)


# A quoted question is a label on the page: select the “Forgot your password?” link.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")
_JUNK = re.compile(r"\{[!{%]|[!}%]\}|!!|^---|\blayout:|\bpermalink:")


def incomplete(spoken: str) -> bool:
    """Text that lost a piece in conversion ("Go to .", "contact.") or asks a question (other than a
    quoted label, "the “Forgot your password?” link") instead of answering one."""
    text = spoken.rstrip("…").strip()
    asks = "?" in _QUOTED.sub("", text)
    return asks or text.endswith(":") or bool(_JUNK.search(text) or _DANGLING.search(text))


def candidates(passage: Passage) -> list[Candidate]:
    heading = strip_markup(passage.heading)
    if passage.kind is UnitKind.ROW:
        return [Candidate(speak_row(passage.text, heading), heading, passage)]
    if passage.kind is UnitKind.LIST:
        item = strip_markup(passage.text).rstrip(".")
        # A question ("Who can apply?") is no name.
        name = len(heading.split()) <= NAME_HEADING_WORDS and not heading.endswith("?")
        named = heading and (len(item.split()) < 5 or name)
        spoken = f"{heading.rstrip(':')}: {item}." if named else f"{item}."
        # A procedure (or a long item) is said from its start, or one of its sentences alone.
        steps = sentences(passage.text)
        alone = [Candidate(_clip(s), heading, passage, step=True) for s in steps] if len(steps) > 1 else []
        return [Candidate(_clip(spoken), heading, passage, step=len(steps) < 2), *alone]
    said = _said(passage)
    if passage.kind is UnitKind.FAQ:
        # The FAQ's own question is its topic; its answer is spoken from the start, or a later
        # sentence of a long answer alone ("...unless medically necessary").
        start = Candidate(_clip(" ".join(said[:2])), heading, passage)
        later = _each_sentence(said, heading, passage)[2:] if len(said) > 2 else []
        return [start, *later]
    # A heading that carries a figure ("Yellowstone (vehicle) - $30.00") is part of what is said.
    lead = f"{heading.rstrip(' -:')}: " if heading and re.search(r"\d", heading) else ""
    return _each_sentence(said, heading, passage, lead)


def _said(passage: Passage) -> list[str]:
    return sentences(passage.text) or [strip_markup(passage.text)]


def faq_answer(passage: Passage) -> Candidate:
    """An FAQ's whole answer (up to `MAX_SPOKEN_WORDS`): what to say to a caller who asked its question."""
    return Candidate(_clip(" ".join(_said(passage))), strip_markup(passage.heading), passage)


# A sentence that opens by pointing back ("These are only sold online...") says nothing alone.
_POINTS_BACK = re.compile(r"^(?:these|this|those|that|they|it|its|their)\b", re.IGNORECASE)


# A pronoun subject that stands for something the candidate does not say: a list item or a unit's
# first sentence ("This will take you back to the Login.gov website.", a step after "click Delete")
# says what follows from something unnamed. An FAQ's answer has its question to stand for.
_BARE_REFERENCE = re.compile(
    r"^(?:this|that|these|those|it|they)\s+(?:will|would|is|are|was|were|can|could|may|might|should|"
    r"must|has|have|had|does|do|did|lets?|allows?|takes?|means?|gives?|shows?|helps?)\b",
    re.IGNORECASE,
)


def refers_outside(candidate: Candidate) -> bool:
    """Whether a candidate opens with a pronoun standing for something it does not say."""
    return candidate.passage.kind is not UnitKind.FAQ and bool(_BARE_REFERENCE.match(candidate.spoken))


def _each_sentence(said: list[str], heading: str, passage: Passage, lead: str = "") -> list[Candidate]:
    out = []
    for i, sentence in enumerate(said):
        spoken = sentence
        if len(sentence.split()) < 6 and i + 1 < len(said):
            spoken = f"{sentence} {said[i + 1]}"  # too short to stand alone ("Yes.", "It is free.")
        elif i > 0 and _POINTS_BACK.match(sentence):
            spoken = f"{said[i - 1]} {sentence}"  # said with the sentence it points back to
        out.append(Candidate(_clip(lead + spoken), heading, passage))
    return out

