"""The streamed file the parser process is in the middle of, kept open between requests.

HTML and Word files are read by a pull parser whose state (the open tags, the text read so far)
cannot be rebuilt from a byte offset alone. So the reader of the file being streamed is kept
alive here, and a request for the segment where it stopped carries on from there: a file is read
once from start to end. A request for any other segment (a resumed ingest after a restart, the
parser process replaced) reads the file again from its start, skipping the segments before it;
segment boundaries depend only on the file's bytes, so they fall where they fell before. A small
file read in between (the store reads the next file ahead) leaves the streamed one live.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

from earpiece.core.knowledge.errors import UnreadableDocumentError


class Segment(Protocol):
    @property
    def start(self) -> int: ...

    @property
    def next_start(self) -> int | None: ...


S = TypeVar("S", bound=Segment)


@dataclass(slots=True)
class _Live:
    key: tuple[str, int, int]
    next_start: int
    segments: Iterator[Segment]


_live: _Live | None = None
_lock = threading.Lock()


def segment_at(path: Path, start: int, open_segments: Callable[[], Iterator[S]]) -> S:
    """The segment of `path` that starts at `start`; `open_segments` reads the file from its start."""
    global _live
    status = path.stat()
    key = (str(path), status.st_size, status.st_mtime_ns)
    with _lock:
        live = _live if _live is not None and _live.key == key and _live.next_start == start else None
        segments: Iterator[S] = live.segments if live is not None else open_segments()  # type: ignore[assignment]
        if live is not None:
            _live = None
        for segment in segments:  # an error here leaves nothing live: the next request reads anew
            if segment.start < start:
                continue
            if segment.start > start:
                break
            if segment.next_start is not None:
                _live = _Live(key, segment.next_start, segments)
            return segment
    raise UnreadableDocumentError(
        f"{path}: no part of the file starts at {start} (was it read by another version of Earpiece?); "
        "remove the document and add it again"
    )
