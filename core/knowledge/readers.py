"""Files -> answer units, one reader per format (see `units.py` for what a unit is).

Each reader turns its format into `units.Element`s (headings, paragraphs, list items, tables,
questions with answers); `units.build_units` cuts those into units. Readers never touch the
store; every failure is a `DocumentError` naming the file and the cause.

Markdown (`markdown_reader.py`), HTML (`html_stream.py`), Word (`docx_reader.py`), PDF and big
plain texts are read in segments (`read_part`), which the store cuts, embeds and commits one by
one; `read_document` reads every segment of a file at once.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from earpiece.core.knowledge.errors import (
    EmptyDocumentError,
    UnreadableDocumentError,
    UnsupportedFormatError,
)
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.live_segments import segment_at
from earpiece.core.knowledge.markdown_reader import read_markdown_segment
from earpiece.core.knowledge.parsed import STREAM_BYTES, ParsedDocument, carry_heading, decode_text
from earpiece.core.knowledge.units import (
    QA,
    Element,
    Heading,
    build_units,
    plain_text_elements,
)


def _read_text(path: Path, limits: IngestLimits) -> str:
    text = decode_text(path.read_bytes(), path)
    limits.check_chars(path, len(text))
    return text


def _looks_like_heading(paragraph: str) -> bool:
    """Short, one line, no punctuation at its end and no sentence ending inside: a page's last line
    cut off mid-word ("Pets are welcome, but rules apply. Federal l") is prose, not a heading."""
    return (
        len(paragraph) <= 70
        and "\n" not in paragraph.strip()
        and not re.search(r"[.,;:!?]$", paragraph)
        and not re.search(r"[.!?]\s+\S", paragraph)
    )


def _txt_elements(text: str) -> list[Element]:
    """Plain text: a short unpunctuated paragraph alone is a heading; the rest as `plain_text_elements`."""
    elements: list[Element] = []
    for paragraph in re.split(r"\n\s*\n", text):
        stripped = paragraph.strip()
        if not stripped:
            continue
        if _looks_like_heading(stripped) and not re.match(r"^([-*+•]|\d{1,3}[.)])\s", stripped):
            elements.append(Heading(stripped))
        else:
            elements.extend(plain_text_elements(stripped))
    return elements


def read_txt(path: Path, limits: IngestLimits) -> ParsedDocument:
    """A document that opens with a heading is titled by it."""
    text = _read_text(path, limits)
    elements = _txt_elements(text)
    title = elements[0].text if elements and isinstance(elements[0], Heading) else path.stem
    return ParsedDocument(title, "txt", build_units(elements))


Segments = Callable[[Path, IngestLimits, int, str], ParsedDocument]


def read_segments(path: Path, limits: IngestLimits, read_segment: Segments) -> ParsedDocument:
    """A streamed format's document whole: its segments one after another (each cut into units on its
    own, as the store does), within `max_chars` in all."""
    first = part = read_segment(path, limits, 0, "")
    blocks, problems = list(first.blocks), list(first.problems)
    while part.next_start is not None:
        part = read_segment(path, limits, part.next_start, part.last_heading)
        blocks += part.blocks
        problems += part.problems
        limits.check_chars(path, sum(len(b.text) for b in blocks))
    return ParsedDocument(first.title, first.kind, blocks, problems)


def read_md(path: Path, limits: IngestLimits) -> ParsedDocument:
    return read_segments(path, limits, read_markdown_segment)


def read_html_segment(path: Path, limits: IngestLimits, start: int = 0, heading: str = "") -> ParsedDocument:
    """The segment of an HTML page that starts at byte `start` (see `html_stream.py`); the stream
    knows the heading it starts under, so `heading` is not needed."""
    from earpiece.core.knowledge.html_reader import html_elements
    from earpiece.core.knowledge.html_stream import html_segments

    segment = segment_at(path, start, lambda: html_segments(path))
    limits.check_chars(path, len(segment.markup))
    title, elements = html_elements(segment.markup, segment.hidden)
    elements, last_heading = carry_heading(elements, segment.heading)
    title = (title if start == 0 else segment.title) or path.stem
    return ParsedDocument(title, "html", build_units(elements), next_start=segment.next_start,
                          total=segment.total, last_heading=last_heading)


def read_html(path: Path, limits: IngestLimits) -> ParsedDocument:
    return read_segments(path, limits, read_html_segment)


@contextlib.contextmanager
def _pypdf_complaints() -> Iterator[list[str]]:
    """What pypdf logs (warnings included) while the block runs."""
    complaints: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            complaints.append(record.getMessage())

    handler = Collect(logging.WARNING)
    logger = logging.getLogger("pypdf")
    logger.addHandler(handler)
    try:
        yield complaints
    finally:
        logger.removeHandler(handler)


# NotImplementedError: a stream filter pypdf does not know (a damaged or exotic "/Filter" name).
_PDF_ERRORS: tuple[type[Exception], ...] = (ValueError, KeyError, TypeError, AttributeError, OSError,
                                           IndexError, RecursionError, NotImplementedError)


PDF_STREAM_PAGES = 20  # a longer PDF is read (and stored) this many pages at a time


def read_pdf(path: Path, limits: IngestLimits) -> ParsedDocument:
    """The whole PDF at once."""
    return read_pdf_pages(path, limits, 0, None)


def read_pdf_pages(path: Path, limits: IngestLimits, start: int, count: int | None) -> ParsedDocument:
    """`count` pages (None: all) from page index `start`, page by page: a page that cannot be read is
    reported and left out, the others are kept. A PDF longer than that is a streamed document: the
    result's `next_start` is the next page index, `total` the page count."""
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    errors: tuple[type[Exception], ...] = (PyPdfError, *_PDF_ERRORS)
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{path}: the PDF is password-protected")
        total = len(reader.pages)
        limits.check_pages(path, total)
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except FileNotDecryptedError as exc:
        raise UnreadableDocumentError(f"{path}: the PDF is password-protected") from exc
    except errors as exc:
        raise UnreadableDocumentError(f"{path}: not a readable PDF (corrupt or truncated): {exc}") from exc
    end = total if count is None else min(total, start + count)
    whole = start == 0 and end == total
    pages: dict[int, str] = {}
    problems: list[str] = []
    for number in range(start + 1, end + 1):
        with _pypdf_complaints() as complaints:
            try:
                text = reader.pages[number - 1].extract_text() or ""
            except errors as exc:
                text = ""
                complaints.append(str(exc))
        pages[number] = text
        if complaints and not text.strip():  # pypdf often logs a broken stream and returns ""
            problems.append(f"{path}: page {number} could not be read and was left out ({complaints[0]})")
        limits.check_chars(path, sum(len(p) for p in pages.values()))
    if whole and problems and not any(pages.values()):
        raise UnreadableDocumentError(f"{path}: no page of the PDF could be read ({problems[0]})")
    elements = [
        element
        for number, page in pages.items()
        for element in plain_text_elements(_pdf_paragraphs(page), location=f"page {number}")
    ]
    blocks = build_units(elements)
    if whole and not blocks:
        raise EmptyDocumentError(f"{path}: the PDF has no extractable text (is it a scanned image?)")
    return ParsedDocument(str(meta_title).strip() or path.stem, "pdf", blocks, problems,
                          next_start=end if end < total else None, total=total)


def _pdf_paragraphs(page: str) -> str:
    """PDF text comes as lines; a short line ending a sentence ends a paragraph (made a blank line)."""
    if re.search(r"\n\s*\n", page):
        return page
    out: list[str] = []
    for line in (ln.strip() for ln in page.splitlines()):
        if not line:
            continue
        out.append(line)
        if re.search(r"[.!?:]$", line) and len(line) < 60:
            out.append("")
    return "\n".join(out)


def read_docx_segment(path: Path, limits: IngestLimits, start: int = 0, heading: str = "") -> ParsedDocument:
    """The segment of a Word file that starts at `start` (see `docx_reader.py`); the stream knows the
    heading it starts under, so `heading` is not needed."""
    from earpiece.core.knowledge.docx_reader import docx_segments

    segment = segment_at(path, start, lambda: docx_segments(path, limits))
    limits.check_chars(path, segment.chars)
    elements, last_heading = carry_heading(segment.elements, segment.heading)
    return ParsedDocument(segment.title or path.stem, "docx", build_units(elements),
                          next_start=segment.next_start, total=segment.total, last_heading=last_heading)


def read_docx(path: Path, limits: IngestLimits) -> ParsedDocument:
    return read_segments(path, limits, read_docx_segment)


_QUESTION_COLUMNS = ("question", "q", "questions", "query", "prompt")
_ANSWER_COLUMNS = ("answer", "a", "answers", "response", "reply")


def _csv_records(text: str, dialect: type[csv.Dialect] | csv.Dialect) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of each record. A record that swallowed several lines (an unclosed
    quote) is yielded as its first line alone, so the rows after a badly quoted one survive."""
    lines = text.splitlines(keepends=True)
    index = 0
    while index < len(lines):
        reader = csv.reader(iter(lines[index:]), dialect)
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error:
            record, consumed = [lines[index].rstrip("\r\n")], 1
        else:
            consumed = max(1, reader.line_num)
        if consumed > 1 and '"' in lines[index] and lines[index].count('"') % 2:
            record, consumed = [lines[index].rstrip("\r\n")], 1  # the quote that never closed
        yield index + 1, record
        index += consumed


def read_csv(path: Path, limits: IngestLimits) -> ParsedDocument:
    """Question/answer rows, one FAQ unit each (header names found case-insensitively).

    A row that cannot be read as a question and an answer (too few columns, a quote that never
    closes) is reported by its line number and left out; the good rows are kept.
    """
    text = _read_text(path, limits)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    records = ((n, r) for n, r in _csv_records(text, dialect) if any(c.strip() for c in r))
    first = next(records, None)
    if first is None:
        raise EmptyDocumentError(f"{path}: the CSV file has no rows")
    header = [c.strip().lower() for c in first[1]]
    q_col = next((header.index(n) for n in _QUESTION_COLUMNS if n in header), None)
    a_col = next((header.index(n) for n in _ANSWER_COLUMNS if n in header), None)
    if q_col is None or a_col is None:
        raise UnreadableDocumentError(
            f"{path}: a FAQ CSV needs a 'question' and an 'answer' column; the header is {first[1]}"
        )
    elements: list[Element] = []
    problems: list[str] = []
    for count, (line, row) in enumerate(records, start=1):
        limits.check_rows(path, count)
        if len(row) <= max(q_col, a_col) or not row[q_col].strip():
            problems.append(f"{path}: line {line} was left out: it has {len(row)} column(s) where the "
                            f"header has {len(header)} (a missing separator or an unclosed quote?)")
            continue
        elements.append(QA(row[q_col], row[a_col], location=f"line {line}"))
    if not elements and problems:
        raise UnreadableDocumentError(f"{path}: no row could be read ({problems[0]})")
    return ParsedDocument(path.stem, "csv", build_units(elements), problems)


READERS: dict[str, Callable[[Path, IngestLimits], ParsedDocument]] = {
    ".txt": read_txt,
    ".text": read_txt,
    ".md": read_md,
    ".markdown": read_md,
    ".html": read_html,
    ".htm": read_html,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".csv": read_csv,
}


SEGMENT_READERS: dict[str, Segments] = {
    ".md": read_markdown_segment, ".markdown": read_markdown_segment,
    ".html": read_html_segment, ".htm": read_html_segment, ".docx": read_docx_segment,
}


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


_TEXT_STREAMED = (".txt", ".text")


def is_streamed(path: Path) -> bool:
    return path.suffix.lower() in _TEXT_STREAMED and path.stat().st_size > STREAM_BYTES


def read_text_segment(path: Path, limits: IngestLimits, start: int, heading: str = "") -> ParsedDocument:
    """About `STREAM_BYTES` of a plain-text file from byte `start`, ending at a blank line (else at a
    line end), so no paragraph or character is cut. `heading`: the one the previous segment ended
    under, so the first paragraphs keep their topic."""
    limits.check_file_size(path)
    with path.open("rb") as file:
        total = file.seek(0, 2)
        file.seek(start)
        data = file.read(STREAM_BYTES)
        while len(data) < 4 * STREAM_BYTES and (more := file.read(64 * 1024)):
            data += more
            cut = data.find(b"\n\n", STREAM_BYTES)
            if cut >= 0:
                data, end = data[: cut + 2], start + cut + 2
                break
        else:
            end = start + len(data)
            if end < total:  # no blank line close by: cut at the last line end
                cut = data.rfind(b"\n") + 1 or len(data)
                data, end = data[:cut], start + cut
    elements = _txt_elements(decode_text(data, path))
    title = elements[0].text if start == 0 and elements and isinstance(elements[0], Heading) else path.stem
    elements, last_heading = carry_heading(elements, heading)
    return ParsedDocument(title, "txt", build_units(elements), next_start=end if end < total else None,
                          total=total, last_heading=last_heading)


def read_part(path: Path, limits: IngestLimits, start: int = 0, heading: str = "") -> ParsedDocument:
    """What the store asks for: a segment of a streamed file (Markdown, HTML, Word, a long PDF, a big
    plain text), or the whole document (a small plain text, a CSV). A segment that is the whole
    document is one like any other."""
    try:
        if path.suffix.lower() == ".pdf":
            limits.check_file_size(path)
            return read_pdf_pages(path, limits, start, PDF_STREAM_PAGES)
        if (read_segment := SEGMENT_READERS.get(path.suffix.lower())) is not None:
            limits.check_file_size(path)
            part = read_segment(path, limits, start, heading)
            if start == 0 and part.next_start is None and not part.blocks:
                raise EmptyDocumentError(f"{path}: the document contains no text")
            return part
        if start or is_streamed(path):
            return read_text_segment(path, limits, start, heading)
    except OSError as exc:
        raise UnreadableDocumentError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return read_document(path, limits)


def read_document(path: Path, limits: IngestLimits | None = None) -> ParsedDocument:
    """Parse one file within `limits`; raises a `DocumentError` subclass with the file and the cause."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(set(READERS)))
        raise UnsupportedFormatError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                                     f"supported: {supported}")
    limits = limits or IngestLimits()
    try:
        limits.check_file_size(path)
        document = reader(path, limits)
    except OSError as exc:
        raise UnreadableDocumentError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if not document.blocks:
        raise EmptyDocumentError(f"{path}: the document contains no text")
    return document
