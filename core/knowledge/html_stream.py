"""HTML streamed: lxml's pull parser reads a page 64 KB at a time and the page is handed on in
segments of about `STREAM_BYTES`, each read by `html_reader.html_elements` as a page of its own.

A segment ends right before a heading (`<h1>`..`<h6>`), so a section is whole in one segment, and
only where every enclosing element is page layout (`<body>`, `<div>`, `<main>`, `<section>`...):
never inside a table, a list, a paragraph or an FAQ's markup. What comes before the heading is
moved out of the parser's tree into the segment, wrapped in copies of the enclosing elements
with their attributes, so a hidden wrapper, the page's header and footer and the lists' order
read the same in every segment, and the tree never holds more than about one segment. A section
longer than four segments is cut before another layout-level element instead (not before a list,
which is read with the paragraph that introduces it), and the next segment starts under the
section's heading.

What one segment needs from the ones before it travels with it: the page's title, the heading in
force, and the classes and ids the page's `<style>`s hide.
"""

from __future__ import annotations

import codecs
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from earpiece.core.knowledge.errors import EmptyDocumentError, UnreadableDocumentError
from earpiece.core.knowledge.html_reader import Hidden, hidden_selectors
from earpiece.core.knowledge.parsed import STREAM_BYTES, check_not_binary, not_text
from earpiece.core.knowledge.units import clean

FEED_BYTES = 64 * 1024
MAX_DEPTH = 255  # libxml2's HTML parser drops (silently) whatever is nested deeper than 256 elements
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_LISTS = frozenset({"ul", "ol"})  # a list is read with the paragraph before it (its lead-in)
_LAYOUT = frozenset({"html", "body", "div", "main", "article", "section", "aside", "header", "footer",
                     "form", "center"})


@dataclass(frozen=True, slots=True)
class HtmlSegment:
    start: int  # bytes of the file read when the segment began (0: the first)
    next_start: int | None
    total: int  # the file's size in bytes
    markup: str
    title: str  # the page's <title>, else its first heading, as far as read
    heading: str  # the heading in force where the segment starts ("" before the first, or when it opens one)
    hidden: Hidden


def _encoding(path: Path) -> str:
    """UTF-8 (with or without a BOM) when the whole file decodes as such, else Windows-1252, as for
    every text format; a binary file is refused by its first 8 KB."""
    with path.open("rb") as file:
        check_not_binary(file.read(8192), path)
        file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for data in iter(lambda: file.read(1 << 20), b""):
                decoder.decode(data)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8-sig"


def _text(element: Any) -> str:
    return clean(" ".join(s.strip() for s in element.itertext() if s.strip()))


def _layout_only(element: Any) -> bool:
    """Every element around `element` is page layout, and none is a microdata item (an FAQ entry)."""
    return all(a.tag in _LAYOUT and "itemtype" not in a.attrib for a in element.iterancestors())


def _split(node: Any) -> Any | None:
    """Move what precedes `node` in document order out of the tree, into copies of its ancestors;
    None (and nothing moved) when nothing precedes it."""
    pairs = list(itertools.pairwise([node, *node.iterancestors()]))
    if not any(c.getprevious() is not None or (p.text or "").strip() for c, p in pairs):
        return None
    inner = None
    for child, parent in pairs:
        clone = parent.makeelement(parent.tag, dict(parent.attrib))
        clone.text, parent.text = parent.text, None
        for earlier in list(parent)[: parent.index(child)]:
            clone.append(earlier)  # moves it, with its tail
        if inner is not None:
            clone.append(inner)
        inner = clone
    return inner


def html_segments(path: Path) -> Iterator[HtmlSegment]:
    """The page's segments in order (see the module's docstring)."""
    from lxml import etree

    total = path.stat().st_size
    parser = etree.HTMLPullParser(events=("start", "end"))
    decoder = codecs.getincrementaldecoder(_encoding(path))()
    title = heading = ""
    hidden: Hidden = (set(), set())
    start = read = depth = 0
    opened = ""  # the heading in force where the current segment started

    def segment(root: Any, next_start: int | None) -> HtmlSegment:
        markup = etree.tostring(root, method="html", encoding="unicode")
        return HtmlSegment(start, next_start, total, markup, title, opened,
                           (set(hidden[0]), set(hidden[1])))

    root = None
    with path.open("rb") as file:
        while root is None:
            data = file.read(FEED_BYTES)
            read += len(data)
            try:
                parser.feed(decoder.decode(data, final=not data))
            except UnicodeDecodeError as exc:  # a byte Windows-1252 leaves undefined (0x81, 0x8D...)
                raise not_text(path) from exc
            if not data:
                root = parser.close()
                if root is None:  # no element at all (an empty page, blank lines, a comment)
                    raise EmptyDocumentError(f"{path}: the document contains no text")
            for event, element in parser.read_events():
                tag = element.tag if isinstance(element.tag, str) else ""
                depth += 1 if event == "start" else -1
                if depth > MAX_DEPTH:
                    raise UnreadableDocumentError(
                        f"{path}: its tags are nested more than {MAX_DEPTH} deep (a broken or hostile page); "
                        "what is nested deeper cannot be read"
                    )
                boundary = tag in _HEADINGS or (read - start >= 4 * STREAM_BYTES and tag not in _LISTS)
                cut = _split(element) if (
                    data and event == "start" and read - start >= STREAM_BYTES and boundary
                    and _layout_only(element)
                ) else None
                if cut is not None:
                    yield segment(cut, read)
                    start, opened = read, "" if tag in _HEADINGS else heading
                if event != "end":
                    continue
                if tag == "title" and not title:
                    title = _text(element)
                elif tag == "style":
                    hidden_selectors(element.text or "", hidden)
                elif tag in _HEADINGS and (text := _text(element)):
                    heading, title = text, title or text
    yield segment(root, None)
