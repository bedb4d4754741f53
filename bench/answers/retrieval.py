"""Retrieval on the development split, before any selection: for each answerable dev question, the
rank of the first unit that states its facts among all units of its organisation's pages (and the
distractors), by exact cosine between the question and each unit's embedded text, as the store
embeds it (`embedding_text`: heading or page title, then the text).

    .venv/bin/python -m bench.answers.retrieval [--misses]

Prints how many questions have the right unit first and in the first 10 (a question whose facts no
unit states counts as a miss); `--misses` lists the others with the unit ranked first. A change to
units or to the embedded text is measured here first (the test split is never read).
"""

from __future__ import annotations

import argparse

import numpy as np

from bench.answers.cases import DISTRACTORS, documents, load
from bench.answers.evaluate import right
from earpiece.core.knowledge.chunking import Chunk, chunk_blocks, embedding_text
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.readers import read_document
from earpiece.core.settings import KnowledgeSettings

TOP = 10


def units(org: str) -> list[tuple[str, Chunk]]:
    """(embedded text, chunk) of every unit of the organisation's pages and the distractors."""
    files = documents()
    out = []
    for path in [*files[org], *files.get(DISTRACTORS, [])]:
        parsed = read_document(path)
        out += [(embedding_text(c.heading, c.text, parsed.title), c) for c in chunk_blocks(parsed.blocks)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--misses", action="store_true", help="list the questions not answered first")
    args = parser.parse_args()
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
