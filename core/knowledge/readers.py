"""Files -> text blocks, one reader per format. A block is a paragraph under its section heading.

Readers never touch the store; every failure is a `DocumentError` naming the file and the cause.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from earpiece.core.knowledge.errors import (
    EmptyDocumentError,
    UnreadableDocumentError,
    UnsupportedFormatError,
)


@dataclass(frozen=True, slots=True)
class Block:
    """A paragraph (or a Q&A row) and the section it sits in. `atomic` blocks are never merged.

    `heading` is a real section title (it is embedded with the text); `location` only says where
    the block is (a PDF page) and is not embedded.
    """

    text: str
    heading: str = ""
    location: str = ""
    atomic: bool = False


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    title: str
    kind: str
    blocks: list[Block] = field(default_factory=list)


def _decode_text(data: bytes, path: Path) -> str:
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or (sample and controls / len(sample) > 0.02):
        raise UnreadableDocumentError(
            f"{path}: this looks like a binary file, not text (is it really a {path.suffix} file?)"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableDocumentError(f"{path}: the text is neither UTF-8 nor Windows-1252 encoded")


def _paragraphs(text: str) -> list[str]:
    """Blank-line separated paragraphs with their inner line breaks folded into spaces."""
    paras = (re.sub(r"\s*\n\s*", " ", p).strip() for p in re.split(r"\n\s*\n", text))
    return [p for p in paras if p]


def _looks_like_heading(paragraph: str) -> bool:
    return len(paragraph) <= 70 and "\n" not in paragraph.strip() and not re.search(r"[.,;!?]$", paragraph)


def read_txt(path: Path) -> ParsedDocument:
    """Blank-line paragraphs; a short unpunctuated line alone is a heading (the first is the title)."""
    text = _decode_text(path.read_bytes(), path)
    title, heading = path.stem, ""
    blocks: list[Block] = []
    for para in _paragraphs(text):
        if _looks_like_heading(para):
            if not blocks and heading == "":
                title = para
            heading = para
        else:
            blocks.append(Block(para, heading))
    return ParsedDocument(title, "txt", blocks)


_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # links -> their text
    (re.compile(r"`([^`]*)`"), r"\1"),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"(?<!\w)[*_](\S.*?)[*_](?!\w)"), r"\1"),
    (re.compile(r"^\s*([-*+]|\d+[.)])\s+", re.MULTILINE), ""),  # list markers
    (re.compile(r"^\s*>\s?", re.MULTILINE), ""),  # quotes
    (re.compile(r"^\s*\|?[-:| ]+\|[-:| ]*$", re.MULTILINE), ""),  # table rules
    (re.compile(r"\s*\|\s*"), " | "),
]


def _strip_markdown(text: str) -> str:
    for pattern, repl in _MD_INLINE:
        text = pattern.sub(repl, text)
    return text.strip(" |")


def read_md(path: Path) -> ParsedDocument:
    text = _decode_text(path.read_bytes(), path)
    title, heading = path.stem, ""
    blocks: list[Block] = []
    buffer: list[str] = []

    def flush() -> None:
        for para in _paragraphs("\n".join(buffer)):
            blocks.append(Block(_strip_markdown(para), heading))
        buffer.clear()

    for line in text.splitlines():
        match = _MD_HEADING.match(line)
        if match:
            flush()
            heading = _strip_markdown(match.group(2))
            if len(match.group(1)) == 1 and title == path.stem:
                title = heading
        elif list_item := re.match(r"^\s*([-*+]|\d+[.)])\s+", line):
            # Each list item is its own line-paragraph so items are not run together.
            buffer.extend(["", line[list_item.end() :], ""])
        else:
            buffer.append(line)
    flush()
    return ParsedDocument(title, "md", [b for b in blocks if b.text])


_HTML_BLOCKS = ("p", "li", "dt", "dd", "pre", "blockquote", "tr", "figcaption", "div")
_HTML_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def read_html(path: Path) -> ParsedDocument:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode_text(path.read_bytes(), path), "lxml")
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer", "template", "svg"]):
        tag.decompose()
    title = soup.title.get_text(" ", strip=True) if soup.title else ""
    heading, blocks = "", []
    wanted = (*_HTML_HEADINGS, *_HTML_BLOCKS)
    for element in (soup.body or soup).find_all(wanted):
        if element.find(wanted):
            # An outer block: its nested blocks speak for themselves; keep only its loose text.
            text = " ".join(s.strip() for s in element.find_all(string=True, recursive=False))
        else:
            text = element.get_text(" ", strip=True)
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            continue
        if element.name in _HTML_HEADINGS:
            heading = text
            title = title or text
        else:
            blocks.append(Block(text, heading))
    return ParsedDocument(title or path.stem, "html", blocks)


def read_pdf(path: Path) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError, PyPdfError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise UnreadableDocumentError(f"{path}: the PDF is password-protected")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = (reader.metadata.title if reader.metadata else None) or ""
    except FileNotDecryptedError as exc:
        raise UnreadableDocumentError(f"{path}: the PDF is password-protected") from exc
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise UnreadableDocumentError(f"{path}: not a readable PDF (corrupt or truncated): {exc}") from exc
    blocks = [
        Block(para, location=f"page {number}")
        for number, page in enumerate(pages, start=1)
        for para in _pdf_paragraphs(page)
    ]
    if not blocks and pages:
        raise EmptyDocumentError(f"{path}: the PDF has no extractable text (is it a scanned image?)")
    return ParsedDocument(str(meta_title).strip() or path.stem, "pdf", blocks)


def _pdf_paragraphs(page: str) -> Iterator[str]:
    """PDF text comes as lines; a short line ending a sentence, or a blank line, ends a paragraph."""
    if re.search(r"\n\s*\n", page):
        yield from _paragraphs(page)
        return
    current: list[str] = []
    for line in (ln.strip() for ln in page.splitlines()):
        if not line:
            continue
        current.append(line)
        if re.search(r"[.!?:]$", line) and len(line) < 60:
            yield " ".join(current)
            current = []
    if current:
        yield " ".join(current)


def read_docx(path: Path) -> ParsedDocument:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise UnreadableDocumentError(f"{path}: not a readable Word .docx file: {exc}") from exc
    title = (document.core_properties.title or "").strip()
    heading, blocks = "", []
    for paragraph in document.paragraphs:
        text = paragraph.text.strip()
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        if style.startswith("Heading") or style == "Title":
            heading = text
            title = title or text
        else:
            blocks.append(Block(text, heading))
    for table in document.tables:
        for row in table.rows:
            cells = [c.text.strip() for c in row.cells if c.text.strip()]
            if cells:
                blocks.append(Block(" | ".join(dict.fromkeys(cells)), heading))
    return ParsedDocument(title or path.stem, "docx", blocks)


_QUESTION_COLUMNS = ("question", "q", "questions", "query", "prompt")
_ANSWER_COLUMNS = ("answer", "a", "answers", "response", "reply")


def read_csv(path: Path) -> ParsedDocument:
    """Question/answer rows, one atomic block each (header names found case-insensitively)."""
    text = _decode_text(path.read_bytes(), path)
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = [r for r in csv.reader(io.StringIO(text), dialect) if any(c.strip() for c in r)]
    if not rows:
        raise EmptyDocumentError(f"{path}: the CSV file has no rows")
    header = [c.strip().lower() for c in rows[0]]
    q_col = next((header.index(n) for n in _QUESTION_COLUMNS if n in header), None)
    a_col = next((header.index(n) for n in _ANSWER_COLUMNS if n in header), None)
    if q_col is None or a_col is None:
        raise UnreadableDocumentError(
            f"{path}: a FAQ CSV needs a 'question' and an 'answer' column; the header is {rows[0]}"
        )
    blocks = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) <= max(q_col, a_col):
            raise UnreadableDocumentError(f"{path}: row {number} has {len(row)} columns, expected more")
        question, answer = row[q_col].strip(), row[a_col].strip()
        if answer:
            blocks.append(Block(answer, question, location=f"row {number}", atomic=True))
    return ParsedDocument(path.stem, "csv", blocks)


READERS: dict[str, Callable[[Path], ParsedDocument]] = {
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


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in READERS


def read_document(path: Path) -> ParsedDocument:
    """Parse one file; raises a `DocumentError` subclass with the file and the cause."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        supported = ", ".join(sorted(set(READERS)))
        raise UnsupportedFormatError(f"{path}: unsupported file type {path.suffix or '(none)'!r}; "
                                     f"supported: {supported}")
    try:
        document = reader(path)
    except OSError as exc:
        raise UnreadableDocumentError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    if not document.blocks:
        raise EmptyDocumentError(f"{path}: the document contains no text")
    return document
