"""How many of the knowledge base's distinctive terms the answers layer should know as names
(`KnowledgeRetriever(vocabulary_size=...)`): offline figures on the dev split for each cap, with the
questions as written and lower-cased (a recogniser that does not capitalise names). Writes
bench/results/answers-vocabulary.json and .md.

    .venv/bin/python -m bench.answers.vocabulary [--sizes 0 30 60 100 200]

Tune on dev only: the test split is not offered.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from bench.answers.cases import load
from bench.answers.evaluate import evaluate, labelled_store, offline_responder
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings

RESULTS = Path(__file__).resolve().parents[1] / "results"
FIGURES = ("precision", "coverage", "unanswerable_declined", "spoken", "right")


def run(sizes: list[int]) -> list[dict[str, Any]]:
    written = load("dev")
    lower = [dataclasses.replace(c, question=c.question.lower()) for c in written]
    rows = []
    with labelled_store(MiniLmEmbedder.from_settings(KnowledgeSettings())) as store:
        for size in sizes:
            for case_name, cases in (("as written", written), ("lower-case", lower)):
                figures, outcomes = evaluate(store, cases, offline_responder(), vocabulary_size=size)
                # Confidence 0: no candidate was left (no retrieved document holds a name asked about,
                # or none has the shape of the answer asked for): declined with no doubt.
                zero = {kind: sum(o.confidence == 0.0 for o in outcomes if o.case.kind == kind)
                        for kind in ("answerable", "unanswerable")}
                row = {"size": size, "questions": case_name, **{k: figures[k] for k in FIGURES},
                       **{f"no_candidate_{kind}": n for kind, n in zero.items()}}
                rows.append(row)
                print("  ".join(f"{k}={v}" for k, v in row.items()), flush=True)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    keys = list(rows[0])
    lines = ["# Distinctive-term cap (bench/answers/vocabulary, dev split, offline)", "",
             "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[0, 30, 60, 100, 200])
    rows = run(parser.parse_args().sizes)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answers-vocabulary.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "answers-vocabulary.md").write_text(markdown(rows))
    print(f"wrote {RESULTS / 'answers-vocabulary.json'} and .md")


if __name__ == "__main__":
    main()
