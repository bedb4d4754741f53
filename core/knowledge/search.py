"""What a search returns, built the same way by the owning store (Chroma) and by readers (ledger vectors)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from earpiece.core.interfaces import Passage
from earpiece.core.knowledge.codes import code_index, coded_hits
from earpiece.core.knowledge.ledger import Ledger


@dataclass(frozen=True, slots=True)
class SearchResult:
    passages: list[Passage]
    embed_ms: float
    query_ms: float
    total_ms: float


def passages(ledger: Ledger, kb: str, hits: Sequence[tuple[str, float]]) -> list[Passage]:
    """(chunk id, cosine distance) hits -> passages, best first. Ids the ledger does not hold as
    searchable (written by an ingest that has not committed, or flagged by screening) are skipped."""
    rows = ledger.chunks_by_id(kb, [h[0] for h in hits])
    found = []
    for hit_id, distance in hits:
        if hit_id not in rows:
            continue
        row, title = rows[hit_id]
        found.append(Passage(
            text=row.text,
            source=row.source,
            title=" — ".join(p for p in (title, row.heading or row.location) if p),
            score=min(1.0, max(0.0, 1.0 - distance)),
            chunk_id=hit_id,
            heading=row.heading,
            kind=row.kind,
        ))
    return found


def ledger_code_index(ledger: Ledger, kb: str) -> dict[str, tuple[str, ...]]:
    """The codes of a knowledge base's searchable units (see `codes.code_index`), headings included."""
    units = ledger.chunks(kb)
    return code_index((r.chunk_id, r.source, f"{r.heading} {r.text}") for r in units if not r.flags)


def coded_passages(
    ledger: Ledger, kb: str, index: Mapping[str, Sequence[str]], query: str,
    embed: Callable[[Sequence[str]], np.ndarray],
) -> list[Passage]:
    """The units holding a code the query names, scored (cosine) against the query, best first."""
    return passages(ledger, kb, coded_hits(index, query, lambda ids: ledger.vectors(kb, ids), embed))
