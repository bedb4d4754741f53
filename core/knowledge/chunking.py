"""Blocks -> chunks sized for a spoken answer: a few sentences, never across a section heading.

Paragraphs of one section are packed up to `target_chars`; a longer paragraph is cut at sentence
boundaries (pysbd). Consecutive chunks of one section share their boundary sentence (overlap), so
a fact that straddles a cut is still whole in one of them. Q&A rows stay one chunk each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pysbd

from earpiece.core.knowledge.readers import Block

TARGET_CHARS = 450
OVERLAP_MAX_CHARS = 200


@dataclass(frozen=True, slots=True)
class Chunk:
    text: str
    heading: str
    location: str
    position: int  # 0-based order in the document


def embedding_text(heading: str, text: str) -> str:
    """What gets embedded: the section heading gives a passage its topic (a Q&A row its question)."""
    return f"{heading}. {text}" if heading else text


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def _pieces(block: Block, target: int) -> list[str]:
    """A block's text, cut into sentence runs of at most `target` chars (a long sentence stays whole)."""
    if len(block.text) <= target:
        return [block.text]
    runs: list[str] = []
    current = ""
    for sentence in sentences(block.text):
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
    current: list[str] = []
    section: tuple[str, str] | None = None  # (heading, location) of `current`

    def emit() -> None:
        if current and section is not None:
            chunks.append(Chunk(_normalise(" ".join(current)), section[0], section[1], len(chunks)))

    for block in blocks:
        if block.atomic:
            emit()
            current, section = [], None
            chunks.append(Chunk(_normalise(block.text), block.heading, block.location, len(chunks)))
            continue
        key = (block.heading, block.location)
        if key != section:
            emit()
            current, section = [], key
        for piece in _pieces(block, target_chars):
            size = sum(len(p) + 1 for p in current)
            if current and size + len(piece) > target_chars:
                emit()
                tail = sentences(current[-1])[-1]
                current = [tail] if len(tail) <= OVERLAP_MAX_CHARS and tail != piece else []
            current.append(piece)
    emit()
    return chunks
