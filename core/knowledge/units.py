"""Answer units: documents are cut where their meaning is, not every N characters.

Every reader turns its file into a flat list of `Element`s (a heading, a paragraph, a list item, a
table, an explicit question with its answer). `build_units` turns those into `Block`s, each an
answer unit with its `UnitKind`:

- FAQ: a question with its answer (heading = the question, text = the answer). Recognised from
  markup (HTML FAQ microdata, `<dt>/<dd>`, `<details>/<summary>`, CSV rows), from headings that end
  in "?", and in plain text from `Q:`/`A:`, `Question:`/`Answer:`, numbered questions and a line
  that ends in "?" followed by its answer;
- ROW: a table row with its column headers (`"Header: value; Header: value"`), and a short
  "Label: value" fact inside prose ("Price: £349");
- LIST: a list item with its lead-in ("To start a return:") or, without one, its section;
- TEXT: paragraphs, packed into sentence runs by `chunking.py` (a short section becomes SECTION).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import pysbd

from earpiece.core.interfaces import UnitKind


@dataclass(frozen=True, slots=True)
class Block:
    """One unit (or, for TEXT, one paragraph) and where it sits.

    `heading` is the unit's context, embedded with its text; `location` only says where the block
    is (a PDF page, a CSV row) and is not embedded.
    """

    text: str
    heading: str = ""
    location: str = ""
    kind: UnitKind = UnitKind.TEXT


# The elements readers produce.


@dataclass(frozen=True, slots=True)
class Heading:
    text: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Para:
    text: str
    location: str = ""


@dataclass(frozen=True, slots=True)
class Item:
    """A list item; `lead_in` when the markup says which sentence introduces the list."""

    text: str
    lead_in: str | None = None
    location: str = ""
    ordered: bool = False  # a numbered list: the steps of a procedure


@dataclass(frozen=True, slots=True)
class Table:
    rows: list[list[str]]
    header: list[str] | None = None
    caption: str = ""
    location: str = ""


@dataclass(frozen=True, slots=True)
class QA:
    question: str
    answer: str
    location: str = ""


Element = Heading | Para | Item | Table | QA


_SPACE = re.compile(r"\s+")
_Q_MARK = re.compile(r"^(?:Q|Question)\s*\d{0,3}\s*[:.)\-–]\s*(?P<rest>.*)$", re.IGNORECASE)
_A_MARK = re.compile(r"^(?:A|Answer)\s*[:.)\-–]\s*(?P<rest>.*)$", re.IGNORECASE)
_NUMBERED = re.compile(r"^\(?\d{1,3}[.)]\s+(?P<rest>.+)$")
_BULLET = re.compile(r"^(?:[-*+•▪◦·]|\(?\d{1,3}[.)]|\(?[a-z][.)])\s+(?P<rest>.+)$")
_LABEL = r"[A-Z][\w'’/&-]*(?: [\w'’/&-]+){0,2}:\s"
_LABELLED = re.compile(rf"^(?P<label>{_LABEL})(?P<value>[^:]{{1,80}}?)\.?$")
_HAS_LABEL = re.compile(rf"(?:^|[.!?]\s+){_LABEL}")  # a cheap test before cutting into sentences
MAX_QUESTION_CHARS = 200
MIN_STEPS = 3
_PRICE = re.compile(r"[$£€]\s?\d|\d\s?(?:USD|EUR|GBP|dollars)\b", re.IGNORECASE)


# Screen-reader labels some site builders put after links ("912-963-4927(link is a phone number)").
_LINK_LABEL = re.compile(
    r"\s*\(link is (?:external|a phone number|an email address|an email)\)", re.IGNORECASE
)


def clean(text: str) -> str:
    return _SPACE.sub(" ", _LINK_LABEL.sub("", text)).strip()


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def is_question(line: str) -> bool:
    """A whole line that asks something: ends in "?" and is short enough to be a question."""
    line = line.strip()
    return line.endswith("?") and 3 < len(line) <= MAX_QUESTION_CHARS


def question_text(line: str) -> str | None:
    """The question in a `Q:` line, a numbered question or a line ending in "?"; None otherwise."""
    line = line.strip()
    if match := _Q_MARK.match(line):
        return clean(match.group("rest")) or None
    if match := _NUMBERED.match(line):
        return clean(match.group("rest")) if is_question(match.group("rest")) else None
    return clean(line) if is_question(line) else None


MIN_RECORDS = 3
RECORD_LINE_MAX_WORDS = 8
RECORD_SHAPE_AGREEMENT = 0.85


def _line_shape(line: str) -> tuple[bool, bool, bool]:
    return bool(re.search(r"\d", line)), "," in line, line.endswith(")")


def line_records(paragraph: str) -> list[list[str]] | None:
    """A table or directory copied out of a web page as one short line per cell, records of k lines
    one after another ("Austin Airport (AUS)" / "Austin, Texas" / "512-386-2015"): its records, or
    None when the paragraph does not read that way. A period k fits when the lines in each of its
    positions mostly have the same shape (digits, a comma, a closing bracket)."""
    lines = [clean(line) for line in paragraph.splitlines() if line.strip()]
    if any(len(ln.split()) > RECORD_LINE_MAX_WORDS or ln.endswith((".", "!", "?", ":")) for ln in lines):
        return None
    for k in (2, 3, 4, 5):
        if len(lines) < k * MIN_RECORDS or len(lines) % k:
            continue
        shapes = [_line_shape(line) for line in lines]
        columns = [shapes[i::k] for i in range(k)]
        agree = sum(max(column.count(s) for s in column) for column in columns)
        if len({max(column, key=column.count) for column in columns}) > 1 and (
            agree / len(lines) >= RECORD_SHAPE_AGREEMENT
        ):
            return [lines[i : i + k] for i in range(0, len(lines), k)]
    return None


def plain_text_elements(text: str, location: str = "") -> list[Element]:
    """Paragraphs of plain text, with question lines, answer markers and list items split out.

    Inside a blank-line paragraph, a line that is a question, a `Q:`/`A:` marker or a list item
    starts a new element; other lines fold into the one before.
    """
    elements: list[Element] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            elements.append(Para(clean(" ".join(current)), location))
            current.clear()

    for paragraph in re.split(r"\n\s*\n", text):
        if (records := line_records(paragraph)) is not None:
            elements.append(Table(records, location=location))
            continue
        for raw in paragraph.splitlines():
            line = raw.strip()
            if not line:
                continue
            if question_text(line) is not None or _A_MARK.match(line):
                flush()
                current.append(line)
                if question_text(line) is not None and not _Q_MARK.match(line):
                    flush()  # a question line is whole; what follows is its answer
            elif (bullet := _BULLET.match(line)) and not is_question(line):
                flush()
                ordered = bool(re.match(r"\(?\d", line))
                elements.append(Item(clean(bullet.group("rest")), location=location, ordered=ordered))
            else:
                current.append(line)
        flush()
    return elements


@dataclass(slots=True)
class _Builder:
    blocks: list[Block] = field(default_factory=list)
    section: str = ""
    lead_in: str | None = None  # the paragraph before a list, if it introduces one
    question: str | None = None  # an open FAQ's question
    question_location: str = ""
    answer: list[str] = field(default_factory=list)
    priced: Heading | None = None  # a short line stating a price, waiting for its description
    steps: list[Item] = field(default_factory=list)  # the numbered items read so far, in order

    def priced_line(self, heading: Heading, description: str = "") -> None:
        """`Yellowstone (private vehicle) - $30.00` set as its own line is a fact, not a section."""
        text = f"{heading.text}. {description}" if description else heading.text
        self.blocks.append(Block(clean(text), self.context(), heading.location, UnitKind.ROW))

    def context(self, lead_in: str | None = None) -> str:
        """The heading of a list item or a priced line: the section and the list's lead-in."""
        lead_in = lead_in or self.lead_in
        return f"{self.section}: {lead_in}" if lead_in and self.section else (lead_in or self.section)

    def close_faq(self) -> None:
        if self.question is not None and self.answer:
            self.blocks.append(Block(clean(" ".join(self.answer)), self.question, self.question_location,
                                     UnitKind.FAQ))
        elif self.question is not None:  # a question nobody answered is still text
            self.blocks.append(Block(self.question, self.section, self.question_location))
        self.question, self.answer = None, []

    def open_faq(self, question: str, location: str) -> None:
        self.close_faq()
        self.question, self.question_location = question, location

    def paragraph(self, para: Para) -> None:
        text = para.text
        if match := _A_MARK.match(text):
            if self.question is not None:
                self.answer.append(match.group("rest"))
                return
            text = match.group("rest")
        if (question := question_text(text)) is not None:
            self.open_faq(question, para.location)
            marker = _Q_MARK.match(text)
            if marker and (answer := _split_inline_answer(question)):
                self.question, self.answer = answer
            return
        if self.question is not None:
            self.answer.append(text)
            return
        self.lead_in = text.rstrip(":") if text.endswith(":") else None
        self.blocks.append(Block(text, self.section, para.location))
        self.blocks.extend(
            Block(fact, self.section, para.location, UnitKind.ROW) for fact in labelled_facts(text)
        )

    def item(self, item: Item) -> None:
        if self.question is not None:
            self.answer.append(item.text)
            return
        context = self.context(item.lead_in)
        if not item.ordered or (self.steps and self.context(self.steps[0].lead_in) != context):
            self.close_steps()
        if item.ordered:
            self.steps.append(item)
        self.blocks.append(Block(item.text, context, item.location, UnitKind.LIST))

    def close_steps(self) -> None:
        """A numbered list of at least MIN_STEPS items is also one unit, its steps in order: "how do
        I reset my password?" is answered from the first step, not by whichever step is most alike.
        Each step stays a unit of its own too ("how many e-mails will I get?")."""
        steps, self.steps = self.steps, []
        if len(steps) >= MIN_STEPS:
            text = " ".join(s.text if s.text.endswith((".", "!", "?")) else f"{s.text}." for s in steps)
            self.blocks.append(Block(text, self.context(steps[0].lead_in), steps[0].location, UnitKind.LIST))

    def table(self, table: Table) -> None:
        self.close_faq()
        heading = table.caption or self.section
        for row in table.rows:
            text = row_text(row, table.header)
            if text:
                self.blocks.append(Block(text, heading, table.location, UnitKind.ROW))
        self.lead_in = None


# A figure set apart by a page's layout ("$6.67" in one box, "/user/month billed annually" in the
# next): alone it says nothing, the text after it says what it counts.
_BARE_FIGURE = re.compile(r"^[$£€]?\s?\d[\d,.]*\s?(?:[$£€%]|[A-Za-z]{1,3})?$")
_GOES_ON = re.compile(r"^(?:[/(–-]|[a-z])")


def joined_fragments(elements: Iterable[Element]) -> Iterator[Element]:
    """Paragraphs as one statement where a bare figure is followed by the words that go on from it
    (lower case, "/", "per"...): "$6.67" + "/user/month billed annually or $8 billed monthly"."""
    held: Para | None = None
    for element in elements:
        if held is not None:
            if isinstance(element, Para) and _GOES_ON.match(element.text):
                element = Para(f"{held.text} {element.text}", held.location)
            else:
                yield held
            held = None
        if isinstance(element, Para) and _BARE_FIGURE.match(element.text.strip()):
            held = element
        else:
            yield element
    if held is not None:
        yield held


def build_units(elements: Iterable[Element]) -> list[Block]:
    """The answer units of a document, in document order."""
    builder = _Builder()
    for element in joined_fragments(elements):
        if not isinstance(element, Item):
            builder.close_steps()
        if builder.priced is not None:
            priced, builder.priced = builder.priced, None
            if (isinstance(element, Para | Heading) and not _PRICE.search(element.text)
                    and question_text(element.text) is None):
                builder.priced_line(priced, element.text)
                continue
            builder.priced_line(priced)
        if isinstance(element, Heading) and _PRICE.search(element.text) and builder.question is None:
            builder.priced = element
        elif isinstance(element, Heading):
            builder.close_faq()
            builder.lead_in = None
            if (question := question_text(element.text)) is not None:
                builder.open_faq(question, element.location)
            else:
                builder.section = clean(element.text)
        elif isinstance(element, QA):
            builder.close_faq()
            if element.answer.strip():
                builder.blocks.append(Block(clean(element.answer), clean(element.question),
                                            element.location, UnitKind.FAQ))
        elif isinstance(element, Para):
            builder.paragraph(element)
        elif isinstance(element, Item):
            builder.item(element)
        else:
            builder.table(element)
    builder.close_steps()
    if builder.priced is not None:
        builder.priced_line(builder.priced)
    builder.close_faq()
    return [b for b in builder.blocks if b.text]


def _split_inline_answer(question: str) -> tuple[str, list[str]] | None:
    """`Q: How long? A: Two years.` on one line -> ("How long?", ["Two years."])."""
    match = re.match(r"^(?P<q>.+?\?)\s+(?:A|Answer)\s*[:.)\-–]\s*(?P<a>.+)$", question, re.IGNORECASE)
    return (match.group("q"), [match.group("a")]) if match else None


def row_text(cells: Sequence[str], header: Sequence[str] | None) -> str:
    """`"Header: value; Header: value"` in column order; without headers a pair reads "key: value"."""
    cells = [clean(c) for c in cells]
    if header is not None:
        pairs = [f"{clean(h)}: {c}" if clean(h) else c for h, c in zip(header, cells, strict=False) if c]
        return "; ".join(pairs)
    filled = [c for c in cells if c]
    if len(filled) == 2:
        return f"{filled[0]}: {filled[1]}"
    return "; ".join(filled)


def looks_like_header(cells: Sequence[str]) -> bool:
    """A first table row of short labels without figures (used where markup does not say)."""
    filled = [c.strip() for c in cells if c.strip()]
    return len(filled) >= 2 and all(len(c) <= 40 and not re.search(r"\d", c) for c in filled)


def labelled_facts(paragraph: str) -> list[str]:
    """Short "Label: value" sentences inside a longer paragraph ("Price: £349."), each a unit of its own."""
    if not _HAS_LABEL.search(paragraph):
        return []
    found = [clean(s).rstrip(".") for s in sentences(paragraph) if _LABELLED.match(clean(s))]
    return found if found and found != [paragraph.rstrip(".")] else []
