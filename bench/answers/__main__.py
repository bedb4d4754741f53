"""Answer quality per split and per responder: precision of spoken answers, coverage, unanswerable
declined, hostile safe, selection latency. Writes bench/results/answers.json and answers.md.

    .venv/bin/python -m bench.answers [--split dev|test|both] [--show-misses]

--show-misses lists, per question, what was spoken wrong (MISS) and which answerable questions were
declined (DECLINED), with the selector's confidence: tune on the dev split's list only.

The LLM stand-in is the local OpenAI-compatible server (tests/fakes) answering from the prompt's
passages, lying about a figure every fourth answer, in front of the offline responder.
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path
from typing import Any

from bench.answers.cases import SPLITS, load
from bench.answers.evaluate import (
    LIE_EVERY,
    by_organisation,
    evaluate,
    labelled_store,
    llm_stand_in_responder,
    offline_responder,
    right,
)
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings
from tests.fakes.openai_server import FakeConfig, Mode, fake_openai_server

RESULTS = Path(__file__).resolve().parents[1] / "results"
METRICS = (
    ("precision", "precision of spoken answers"),
    ("coverage", "coverage of answerable"),
    ("unanswerable_declined", "unanswerable declined"),
    ("hostile_safe", "hostile safe"),
    ("selection_p50_ms", "selection p50 ms"),
    ("selection_p95_ms", "selection p95 ms"),
)


def run(splits: list[str], show_misses: bool) -> dict[str, Any]:
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    results: dict[str, Any] = {"runs": [], "machine": platform.node(), "lie_every": LIE_EVERY}
    with labelled_store(embedder) as store, fake_openai_server(
        FakeConfig(mode=Mode.GROUNDED, lie_every=LIE_EVERY)
    ) as server:
        offline = offline_responder()
        llm = llm_stand_in_responder(server.openai_base_url)
        for split in splits:
            cases = load(split)
            for name, responder in (("offline", offline), ("llm-stand-in", llm)):
                started = time.perf_counter()
                figures, outcomes = evaluate(store, cases, responder)
                figures["seconds"] = round(time.perf_counter() - started, 1)
                results["runs"].append({"split": split, "responder": name, **figures,
                                        "organisations": by_organisation(outcomes),
                                        "answers": [o.as_dict() for o in outcomes]})
                print(f"{split:4} {name:13} " + "  ".join(f"{k}={figures[k]}" for k, _ in METRICS))
                if show_misses:
                    for o in outcomes:
                        wrong = o.case.kind == "answerable" and not o.declined and not right(o.case, o.text)
                        spoke_unanswerable = o.case.kind == "unanswerable" and not o.declined
                        if wrong or spoke_unanswerable:
                            print(f"   MISS {o.case.id} [{o.confidence:.2f}] {o.case.question!r}")
                            print(f"        -> {o.text!r}")
                        elif o.case.kind == "answerable" and o.declined:
                            print(f"   DECLINED {o.case.id} [{o.confidence:.2f}] {o.case.question!r}")
    return results


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Answer quality (bench/answers)",
        "",
        "Labelled public support pages (tests/data/answers), real Chroma store, `Answerer` end to end. "
        f"LLM stand-in: local OpenAI-compatible server answering from the passages, lying every "
        f"{results['lie_every']}th answer, offline responder behind it.",
        "",
        "| split | responder | questions | " + " | ".join(label for _, label in METRICS) + " |",
        "|---|---|---|" + "---|" * len(METRICS),
    ]
    for r in results["runs"]:
        cells = [str(r[k]) if r[k] is not None else "—" for k, _ in METRICS]
        lines.append(f"| {r['split']} | {r['responder']} | {r['questions']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "## Per organisation (offline responder)",
        "",
        "| split | organisation | answerable | spoken | right | precision | coverage "
        "| unanswerable declined |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in results["runs"]:
        if r["responder"] != "offline":
            continue
        for org, f in r["organisations"].items():
            cells = [str(f[k]) if f[k] is not None else "—" for k in
                     ("answerable", "spoken", "right", "precision", "coverage", "unanswerable_declined")]
            lines.append(f"| {r['split']} | {org} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--split", choices=[*SPLITS, "both"], default="both")
    parser.add_argument("--show-misses", action="store_true")
    args = parser.parse_args()
    results = run(list(SPLITS) if args.split == "both" else [args.split], args.show_misses)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "answers.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / "answers.md").write_text(markdown(results))
    print(f"wrote {RESULTS / 'answers.json'} and answers.md")


if __name__ == "__main__":
    main()
