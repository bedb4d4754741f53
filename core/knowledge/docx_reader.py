"""Word .docx -> answer units, streamed: the document's XML is read from inside the zip 64 KB at a
time by lxml's pull parser, and each paragraph or table of the body is turned into elements and
dropped from the tree as soon as it is complete, so memory holds one segment, not the document.

The parser uses python-docx's element classes, so a paragraph's text (tabs, breaks, hyperlinks),
its bold runs and a table's merged cells read exactly as python-docx reads them. The zip's
directory is checked against the limits first (`limits.check_zip`): its entries never inflate
past their declared size.

A segment ends when about `STREAM_BYTES` of text has been read, right before the last heading
read by then (a section longer than four segments is cut between paragraphs, never in a list or
between a list and its lead-in, and the next segment starts under its heading). Its `start` is how many
bytes of the document's XML had been read when it began; boundaries depend only on the file, so a
resumed read finds them again.
"""

from __future__ import annotations

import posixpath
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earpiece.core.knowledge.errors import UnreadableDocumentError
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.parsed import STREAM_BYTES
from earpiece.core.knowledge.units import (
    QA,
    Element,
    Heading,
    Item,
    Table,
    is_question,
    looks_like_header,
    plain_text_elements,
)

FEED_BYTES = 64 * 1024
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_LIST_STYLES = ("List", "list")
_NO_PARENT: Any = None  # python-docx's proxies read text, runs and cells without their document part


@dataclass(frozen=True, slots=True)
class DocxSegment:
    start: int
    next_start: int | None
    total: int  # the size of the document's XML, unpacked
    title: str
    heading: str  # the heading in force where the segment starts
    elements: list[Element]

    @property
    def chars(self) -> int:
        return sum(_chars(e) for e in self.elements)


def _related(archive: zipfile.ZipFile, source: str, kind: str) -> str | None:
    """The part that `source` ("" for the package) relates to by a relationship of `kind`."""
    folder, name = posixpath.split(source)
    rels = posixpath.join(folder, "_rels", f"{name}.rels")
    if rels not in archive.namelist():
        return None
    from docx.oxml.parser import parse_xml

    for relationship in parse_xml(archive.read(rels)).iter(_RELATIONSHIP):
        if relationship.get("Type", "").endswith(f"/{kind}") and relationship.get("TargetMode") != "External":
            target = relationship.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
                posixpath.join(folder, target))
    return None


def _style_names(archive: zipfile.ZipFile, document: str) -> dict[str | None, str]:
    """Paragraph style names by style id, None: the default style (python-docx's names, "Heading 1")."""
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml.parser import parse_xml
    from docx.styles.styles import Styles

    part = _related(archive, document, "styles")
    if part is None or part not in archive.namelist():
        return {}
    styles = Styles(parse_xml(archive.read(part)))
    names: dict[str | None, str] = {}
    for style_id in [None, *(s.style_id for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH)]:
        style = styles.get_by_id(style_id, WD_STYLE_TYPE.PARAGRAPH)
        names[style_id] = (style.name if style is not None else "") or ""
    return names


def _core_title(archive: zipfile.ZipFile) -> str:
    from docx.oxml.parser import parse_xml

    part = _related(archive, "", "core-properties")
    if part is None or part not in archive.namelist():
        return ""
    return (parse_xml(archive.read(part)).title_text or "").strip()


def _bold_question(paragraph: Any, text: str) -> QA | None:
    """A paragraph that opens with a bold question: "**Can I bring food?** Only in the café."."""
    lead = ""
    for run in paragraph.runs:
        if not run.bold:
            break
        lead += run.text
    lead = lead.strip()
    answer = text[len(lead):].strip() if text.startswith(lead) else ""
    return QA(lead, answer) if is_question(lead) and answer else None


def _elements(block: Any, names: dict[str | None, str]) -> list[Element]:
    """A body paragraph or table as elements."""
    from docx.table import Table as DocxTable
    from docx.text.paragraph import Paragraph

    if block.tag == f"{_W}tbl":
        table = DocxTable(block, _NO_PARENT)
        rows = [[c.text.strip() for c in dict.fromkeys(row.cells)] for row in table.rows]
        rows = [r for r in rows if any(r)]
        header = rows[0] if len(rows) > 1 and looks_like_header(rows[0]) else None
        return [Table(rows[1:] if header else rows, header)]
    paragraph = Paragraph(block, _NO_PARENT)
    text = paragraph.text.strip()
    if not text:
        return []
    style_id = block.style  # as python-docx: an unknown style is the default one
    style = names.get(style_id, names.get(None, "")) if names else style_id or ""
    if style.startswith("Heading") or style == "Title":
        return [Heading(text)]
    if style.startswith(_LIST_STYLES):
        return [Item(text)]
    if qa := _bold_question(paragraph, text):
        return [qa]
    return plain_text_elements(text)


def docx_segments(path: Path, limits: IngestLimits) -> Iterator[DocxSegment]:
    """The document's segments in order (see the module's docstring)."""
    from docx.oxml.parser import element_class_lookup
    from lxml import etree

    limits.check_zip(path, "Word .docx")
    try:
        with zipfile.ZipFile(path) as archive:
            document = _related(archive, "", "officeDocument")
            if document is None or document not in archive.namelist():
                raise ValueError("it has no document part")
            names = _style_names(archive, document)
            title = _core_title(archive)
            total = archive.getinfo(document).file_size
            stream = archive.open(document)
            yield from _body_segments(stream, total, title, names, element_class_lookup, etree)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, KeyError, ValueError,
            etree.XMLSyntaxError) as exc:
        # zlib.error, EOFError: a part whose compressed bytes are damaged or cut short;
        # NotImplementedError: a damaged header asks for a compression zipfile does not have
        raise UnreadableDocumentError(f"{path}: not a readable Word .docx file: {exc}") from exc


def _body_segments(
    stream: Any, total: int, title: str, names: dict[str | None, str], lookup: Any, etree: Any,
) -> Iterator[DocxSegment]:
    parser = etree.XMLPullParser(events=("end",), tag=(f"{_W}p", f"{_W}tbl"), remove_blank_text=True,
                                 resolve_entities=False, no_network=True)
    parser.set_element_class_lookup(lookup)
    pending: list[Element] = []  # read, not handed on yet
    chars = start = read = 0
    heading = opened = ""
    found_body = False
    with stream:
        while data := stream.read(FEED_BYTES):
            read += len(data)
            parser.feed(data)
            for _, block in parser.read_events():
                parent = block.getparent()
                if parent is None or parent.tag != f"{_W}body":
                    continue  # a table's paragraph: read with its table
                found_body = True
                elements = _elements(block, names)
                pending += elements
                chars += sum(_chars(e) for e in elements)
                block.clear()
                while block.getprevious() is not None:
                    del parent[0]
            if chars < STREAM_BYTES:
                continue
            cut = _cut(pending, chars >= 4 * STREAM_BYTES)
            if not cut:
                continue
            handed, pending = pending[:cut], pending[cut:]
            title = title or next((e.text for e in handed if isinstance(e, Heading)), "")
            yield DocxSegment(start, read, total, title, opened, handed)
            opened = heading = next((e.text for e in reversed(handed) if isinstance(e, Heading)), heading)
            start, chars = read, sum(_chars(e) for e in pending)
    root = parser.close()
    if not found_body and root.tag != f"{_W}document":
        raise ValueError("it holds no Word document body (is it really a .docx file?)")
    title = title or next((e.text for e in pending if isinstance(e, Heading)), "")
    yield DocxSegment(start, None, total, title, opened, pending)


def _cut(pending: list[Element], anywhere: bool) -> int:
    """Where to end the segment in `pending`: before its last heading; failing that, when `anywhere`,
    before the last element that is not a list item (a list stays with its lead-in); 0: not yet."""
    headings = [i for i, e in enumerate(pending) if isinstance(e, Heading) and i > 0]
    if headings or not anywhere:
        return headings[-1] if headings else 0
    return next((i for i in range(len(pending) - 1, 0, -1) if not isinstance(pending[i], Item)), 0)


def _chars(element: Element) -> int:
    if isinstance(element, Table):
        return sum(len(c) for r in element.rows for c in r)
    if isinstance(element, QA):
        return len(element.question) + len(element.answer)
    return len(element.text)
