"""Passages of many files embedded together, each file committed as soon as its passages are in.

Support sites come as hundreds of small files of a few passages each. Embedded file by file, a
tiny file keeps one core busy, then waits for its own index write and ledger commit. Queued, tiny
files share a step (every core busy, one index write), a big one is cut into steps, and a file is
committed the moment its last new passage is in the index, so a cancel or a crash still loses only
the files not yet committed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from earpiece.core.knowledge.ledger import ChunkRow, DocumentInfo
from earpiece.core.knowledge.progress import Outcome


@dataclass(slots=True)
class QueuedFile:
    """A file read, cut and screened, waiting for the vectors of its `fresh` rows."""

    number: int  # its place in the run's list of files
    path: Path
    document: DocumentInfo
    rows: list[ChunkRow]
    fresh: list[ChunkRow]  # rows whose passages the index does not hold yet (one per id)
    outcome: Outcome
    warnings: tuple[str, ...] = ()
    new: int = 0  # of `fresh`, the passages no file queued before it has (set by `put`)
    vectors: dict[str, np.ndarray] = field(default_factory=dict)


EmbedStep = Callable[[Sequence[ChunkRow]], dict[str, np.ndarray]]  # embeds and writes to the index
Commit = Callable[[Sequence[QueuedFile]], None]  # commits files whose vectors are all in


class EmbeddingQueue:
    """Embeds in steps of up to `step` passages; after each file, whatever is queued is embedded as
    soon as it is at least `least` passages (enough to keep every core busy), so files are committed
    one by one unless they are tiny."""

    def __init__(self, embed: EmbedStep, commit: Commit, step: int, least: int) -> None:
        self._embed, self._commit, self._step, self._least = embed, commit, step, least
        self._waiting: list[QueuedFile] = []
        self._todo: list[ChunkRow] = []
        self._queued: set[str] = set()  # ids in `_todo` or embedded for a waiting file
        self._vectors: dict[str, np.ndarray] = {}

    def put(self, item: QueuedFile) -> None:
        """Queue a file; embeds (and commits) whatever fills whole steps."""
        self._waiting.append(item)
        for row in item.fresh:
            if row.chunk_id not in self._queued:
                self._queued.add(row.chunk_id)
                self._todo.append(row)
                item.new += 1
        while len(self._todo) >= self._least:
            self._run_step()
        self._commit_ready()

    def flush(self) -> None:
        """Embed and commit everything queued."""
        while self._todo:
            self._run_step()
        self._commit_ready()

    def uncommitted(self) -> list[QueuedFile]:
        return list(self._waiting)

    def embedded_ids(self) -> set[str]:
        """Ids already written to the index for files not committed yet."""
        return set(self._vectors)

    def _run_step(self) -> None:
        batch, self._todo = self._todo[: self._step], self._todo[self._step :]
        self._vectors.update(self._embed(batch))
        self._commit_ready()

    def _commit_ready(self) -> None:
        ready: list[QueuedFile] = []
        while self._waiting and all(r.chunk_id in self._vectors for r in self._waiting[0].fresh):
            item = self._waiting.pop(0)
            item.vectors = {r.chunk_id: self._vectors[r.chunk_id] for r in item.fresh}
            ready.append(item)
        if not ready:
            return
        self._commit(ready)
        needed = {r.chunk_id for item in self._waiting for r in item.fresh}
        self._vectors = {i: v for i, v in self._vectors.items() if i in needed}
        self._queued = needed | {r.chunk_id for r in self._todo}
