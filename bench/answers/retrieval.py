"""Retrieval on the development split, before any selection: for each answerable dev question, the
rank of the first unit that states its facts among all units of its organisation's pages (and the
distractors), by exact cosine between the question and each unit's embedded text, as the store
embeds it (`embedding_text`: heading or page title, then the text).

    .venv/bin/python -m bench.answers.retrieval [--misses] [--pool]

Prints how many questions have the right unit first and in the first 10 (a question whose facts no
unit states counts as a miss); `--misses` lists the others with the unit ranked first. A change to
units or to the embedded text is measured here first (the test split is never read).

`--pool` asks the real pipeline instead (a Chroma store per organisation, `Answerer.retrieve` with the
settings' `top_k` and `min_score`, follow-ups after their parent's question): how many questions
have a unit stating their facts among the units the selector weighs, and for the others the right
unit's rank and similarity in a search 80 deep (below `min_score` it can never be weighed).
"""

from __future__ import annotations

import argparse
import asyncio

import numpy as np

from bench.answers.cases import DISTRACTORS, Case, documents, load
from bench.answers.evaluate import labelled_store, offline_responder, right
from earpiece.core.engine.answering import Answerer
from earpiece.core.interfaces import ChatTurn
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.chunking import Chunk, chunk_blocks, embedding_text
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.readers import read_document
from earpiece.core.knowledge.retriever import KnowledgeRetriever
from earpiece.core.settings import KnowledgeSettings

TOP = 10
POOL_PROBE = 80  # how deep a pool miss is looked for


def units(org: str) -> list[tuple[str, Chunk]]:
    """(embedded text, chunk) of every unit of the organisation's pages and the distractors."""
    files = documents()
    out = []
    for path in [*files[org], *files.get(DISTRACTORS, [])]:
        parsed = read_document(path)
        out += [(embedding_text(c.heading, c.text, parsed.title), c) for c in chunk_blocks(parsed.blocks)]
    return out


async def pool_misses(store: KnowledgeStore, cases: list[Case]) -> list[str]:
    """One line per answerable question whose facts no unit of its retrieval pool states."""
    settings = KnowledgeSettings()
    by_id = {c.id: c for c in cases}
    out = []
    for case in cases:
        retriever = KnowledgeRetriever(store, case.org)
        answerer = Answerer(offline_responder(), retriever, top_k=settings.top_k,
                            min_score=settings.min_score)
        parent = by_id.get(case.follow_up_of or "")
        history = (ChatTurn("caller", parent.question),) if parent else ()
        retrieval = await answerer.retrieve(case.question, history)
        if any(right(case, f"{p.heading} {p.text}") for p in retrieval.passages):
            continue
        deep = store.search(case.org, retrieval.query, POOL_PROBE)
        where = next((f"rank {n} similarity {p.score:.3f}" for n, p in enumerate(deep.passages)
                      if right(case, f"{p.heading} {p.text}")), f"not in the first {POOL_PROBE}")
        out.append(f"{case.id:8} {where}  {case.question!r}")
    return out


def pool(misses: bool) -> None:
    cases = [c for c in load("dev") if c.kind == "answerable"]
    with labelled_store(MiniLmEmbedder.from_settings(KnowledgeSettings())) as store:
        lines = asyncio.run(pool_misses(store, cases))
    if misses:
        print("\n".join(lines))
    print(f"a unit stating the facts is in the selector's pool for {len(cases) - len(lines)} of {len(cases)} "
          f"answerable dev questions")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--misses", action="store_true", help="list the questions not answered first")
    parser.add_argument("--pool", action="store_true", help="through the real store and Answerer.retrieve")
    args = parser.parse_args()
    if args.pool:
        pool(args.misses)
        return
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    cases = [c for c in load("dev") if c.kind == "answerable"]
    first = in_top = 0
    for org in sorted({c.org for c in cases}):
        found = units(org)
        vectors = embedder.embed([text for text, _ in found])
        for case in (c for c in cases if c.org == org):
            order = np.argsort(-(vectors @ embedder.embed([case.question])[0]))
            stated = [right(case, f"{chunk.heading} {chunk.text}") for _, chunk in found]
            ranks = [n for n, i in enumerate(order) if stated[i]]
            rank = ranks[0] if ranks else None
            first += rank == 0
            in_top += rank is not None and rank < TOP
            if args.misses and rank != 0:
                print(f"{case.id:8} rank {rank}  {case.question!r}  first: {found[order[0]][0][:90]!r}")
    print(f"right unit first {first}, in the first {TOP} {in_top}, of {len(cases)} answerable dev questions")


if __name__ == "__main__":
    main()
