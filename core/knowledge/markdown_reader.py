"""Markdown -> answer units, streamed: the source is cut into segments of about `STREAM_BYTES`.

Each segment is rendered to HTML (markdown-it, CommonMark with tables; raw HTML kept) and read as
HTML, so FAQ headings, lists with their lead-in, tables and hidden blocks count the same in both.
A segment ends right before a heading line (an ATX `#` heading after a blank line), never inside a
code fence or the front matter, so a section is cut only when it alone is longer than four
segments (then at a blank line before an unindented paragraph, else at a line end). A segment of a
file that is not its first starts under the heading the one before it ended under.

The YAML front matter of the first segment is read by `front_matter.py`: its title names the
document, its facts become units of their own.
"""

from __future__ import annotations

import re
from pathlib import Path

from earpiece.core.knowledge.front_matter import front_matter_units, read_front_matter
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.parsed import STREAM_BYTES, ParsedDocument, carry_heading, decode_text
from earpiece.core.knowledge.units import Block, build_units

_FENCE = re.compile(rb"^ {0,3}(`{3,}|~{3,})")
_FRONT_FENCE = re.compile(rb"^(?:---|\.\.\.)[ \t]*\r?$")
_ATX_HEADING = re.compile(rb"^ {0,3}#{1,6}(?:[ \t]|\r?$)")
_NOT_A_PARAGRAPH_START = re.compile(rb"^(?:\s|[-*+>|]|\d{1,9}[.)]|$)")  # indented, a list, a quote, a table
WINDOW = 4 * STREAM_BYTES  # the most one segment reads before it is cut anyway


def markdown_cut(data: bytes, target: int, at_start: bool) -> int:
    """Where the segment held in `data` (bytes from the segment's start) ends: at the first heading
    line after `target` bytes; failing that, the first blank line before an unindented paragraph;
    failing that, the last line end."""
    fence: bytes | None = None
    offset, blank_before, fallback = 0, True, 0
    lines = data.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if not line.endswith(b"\n"):
            break  # the window's last, unfinished line
        if fence is None and offset >= target and blank_before:
            if _ATX_HEADING.match(line):
                return offset
            if not fallback and not _NOT_A_PARAGRAPH_START.match(line):
                fallback = offset
        if at_start and number == 0 and line.rstrip() == b"---":
            fence = b"---"  # the front matter, up to its closing line
        elif fence == b"---":
            fence = None if _FRONT_FENCE.match(line) else fence
        elif marker := _FENCE.match(line):
            opened = marker.group(1)
            if fence is None:
                fence = opened
            elif opened[:1] == fence[:1] and len(opened) >= len(fence) and not line[marker.end():].strip():
                fence = None
        blank_before = not line.strip()
        offset += len(line)
    return fallback or offset or len(data)


def read_markdown_segment(
    path: Path, limits: IngestLimits, start: int = 0, heading: str = ""
) -> ParsedDocument:
    """The segment of a Markdown file that starts at byte `start` (see the module's docstring)."""
    from markdown_it import MarkdownIt

    from earpiece.core.knowledge.html_reader import html_elements

    with path.open("rb") as file:
        total = file.seek(0, 2)
        file.seek(start)
        data = file.read(WINDOW)
    end = start + len(data)
    if end < total:
        cut = markdown_cut(data, STREAM_BYTES, start == 0)
        data, end = data[:cut], start + cut
    text = decode_text(data, path)
    limits.check_chars(path, len(text))
    front = read_front_matter(text, path, limits) if start == 0 else None
    blocks: list[Block] = []
    title = ""
    if front is not None:
        text, title = text[front.end:], front.title
        blocks = front_matter_units(front)
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    first_heading, elements = html_elements(html)
    elements, last_heading = carry_heading(elements, heading)
    return ParsedDocument(
        title or first_heading or path.stem, "md", blocks + build_units(elements),
        [front.problem] if front is not None and front.problem else [],
        next_start=end if end < total else None, total=total, last_heading=last_heading,
    )
