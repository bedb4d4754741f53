"""Answer units -> chunks sized for a spoken answer.

FAQ, ROW and LIST units are one chunk each (an over-long FAQ answer is cut at sentences, each part
keeping its question). A TEXT paragraph is a unit of its own (short ones join the next paragraph
of their section, up to `target_chars`); a longer paragraph is cut at sentence boundaries (pysbd),
and consecutive parts of it share their boundary sentence (overlap), so a fact that straddles a
cut is still whole in one of them. A section whose text fits in one chunk becomes one SECTION unit
under its heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge.units import Block, sentences

TARGET_CHARS = 450
OVERLAP_MAX_CHARS = 200
UNIT_MAX_CHARS = 3 * TARGET_CHARS  # a FAQ answer longer than this is cut into parts
MIN_UNIT_CHARS = 100  # a paragraph this long is a unit of its own; a shorter remark joins the next


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    heading: str
    location: str
    position: int  # 0-based order in the document
    kind: UnitKind = UnitKind.TEXT
    first_block: int = 0  # the block it starts at: chunks are put back in document order by it


def embedding_text(heading: str, text: str) -> str:
    """What gets embedded: the heading gives a unit its topic (a FAQ its question, a row its table)."""
    if not heading:
        return text
    return f"{heading} {text}" if heading[-1] in ".?!:" else f"{heading}. {text}"


def _pieces(text: str, target: int) -> list[str]:
    """Text cut into sentence runs of at most `target` chars (a long sentence stays whole)."""
    if len(text) <= target:
        return [text]
    runs: list[str] = []
    current = ""
    for sentence in sentences(text):
        if current and len(current) + 1 + len(sentence) > target:
            runs.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        runs.append(current)
    return runs


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def chunk_blocks(blocks: list[Block], target_chars: int = TARGET_CHARS) -> list[Chunk]:
    chunks: list[Chunk] = []
    section_chunks: list[int] = []  # indexes of the TEXT chunks of the current section
    current: list[str] = []
    started = 0  # the block `current` starts at
    section: tuple[str, str] | None = None  # (heading, location) of `current`

    def emit() -> None:
        if current and section is not None:
            section_chunks.append(len(chunks))
            text = _normalise(" ".join(current))
            chunks.append(Chunk(text, section[0], section[1], len(chunks), first_block=started))

    def end_section() -> None:
        emit()
        if len(section_chunks) == 1 and chunks[section_chunks[0]].heading:
            index = section_chunks[0]
            chunks[index] = replace(chunks[index], kind=UnitKind.SECTION)
        section_chunks.clear()

    for number, block in enumerate(blocks):
        if block.kind is not UnitKind.TEXT:
            limit = UNIT_MAX_CHARS if block.kind is UnitKind.FAQ else len(block.text)
            for piece in _pieces(_normalise(block.text), limit):
                chunks.append(Chunk(piece, block.heading, block.location, len(chunks), block.kind, number))
            continue
        key = (block.heading, block.location)
        if key != section:
            end_section()
            current, section, started = [], key, number
        for index, piece in enumerate(_pieces(block.text, target_chars)):
            size = sum(len(p) + 1 for p in current)
            new_paragraph = index == 0
            if current and (size + len(piece) > target_chars or (new_paragraph and size >= MIN_UNIT_CHARS)):
                emit()
                tail = sentences(current[-1])[-1]
                overlap = not new_paragraph and len(tail) <= OVERLAP_MAX_CHARS and tail != piece
                current = [tail] if overlap else []
                started = number
            if not current:
                started = number
            current.append(piece)
    end_section()
    ordered = sorted(chunks, key=lambda c: c.first_block)  # stable: a unit's parts keep their order
    return [replace(c, position=i) for i, c in enumerate(ordered)]
