"""What a reader returns, and what the readers of every format share: decoding bytes to text, and
carrying a streamed file's heading from one segment to the next."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from earpiece.core.knowledge.errors import UnreadableDocumentError
from earpiece.core.knowledge.units import Block, Element, Heading

STREAM_BYTES = 256 * 1024  # a streamed file is read (and stored) in segments of about this much text


@dataclass(frozen=True, slots=True)
class ParsedDocument:
    title: str
    kind: str
    blocks: list[Block] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # parts left out (a bad CSV row, a broken page)
    next_start: int | None = None  # a segment of a streamed file: where the next one starts (bytes, pages)
    total: int = 0  # a segment of a streamed file: the file's size (bytes, pages)
    last_heading: str = ""  # a segment of a streamed file: the heading the next segment is under


def check_not_binary(data: bytes, path: Path) -> None:
    """Refuse a binary file (by its first 8 KB) that a text reader was given."""
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13))
    if b"\x00" in sample or (sample and controls / len(sample) > 0.02):
        raise UnreadableDocumentError(
            f"{path}: this looks like a binary file, not text (is it really a {path.suffix} file?)"
        )


def decode_text(data: bytes, path: Path) -> str:
    check_not_binary(data, path)
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise not_text(path)


def not_text(path: Path) -> UnreadableDocumentError:
    return UnreadableDocumentError(f"{path}: the text is neither UTF-8 nor Windows-1252 encoded")


def carry_heading(elements: list[Element], heading: str) -> tuple[list[Element], str]:
    """A segment's elements under `heading` (the one the previous segment ended under) unless it opens
    with a heading of its own; and the heading the next segment starts under."""
    headings = [e.text for e in elements if isinstance(e, Heading)]
    if heading and not (elements and isinstance(elements[0], Heading)):
        elements = [Heading(heading), *elements]
    return elements, headings[-1] if headings else heading
