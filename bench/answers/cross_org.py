"""Leave-one-organisation-out check of the answerability model on the development split: for each
organisation, the model and its threshold are fitted (as `calibrate` does) on the other
organisations' questions only, and scored on that organisation's. Summed over the folds, the
figures say how a change carries over to pages the model was not fitted on; the in-sample row
(fitted on all of dev) is what a refit would reach on dev, the committed row what the model in
resources/ reaches.

    .venv/bin/python -m bench.answers.cross_org [--precision 0.97]

Scored on the best candidate's text and confidence, as `calibrate` collects them (the responder,
the fact check and the output guard are left out). The test split is never read.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence

from bench.answers.calibrate import MIN_COVERAGE, PRECISION, Example, collect, fitted
from bench.answers.cases import load
from bench.answers.evaluate import labelled_store
from earpiece.core.answers.model import FEATURES, AnswerModel, default_model, model_path
from earpiece.core.answers.selector import Selector
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings


def score(examples: Sequence[Example], model: AnswerModel, wrong: list[str] | None = None) -> dict[str, int]:
    """Counts of what the offline responder would do with each question's best candidate; the
    questions answered wrong (or unanswerable and spoken) are added to `wrong` when given."""
    counts = {"answerable": 0, "unanswerable": 0, "spoken": 0, "right": 0, "declined_unanswerable": 0}
    for ex in examples:
        if ex.case.kind == "hostile":
            continue
        counts[ex.case.kind] += 1
        ranked = sorted(zip(ex.scored, ex.labels(), strict=True),
                        key=lambda s: -model.confidence(s[0].features))
        spoken = bool(ranked) and model.confidence(ranked[0][0].features) >= model.threshold
        counts["spoken"] += spoken
        counts["right"] += spoken and bool(ranked[0][1])
        counts["declined_unanswerable"] += ex.case.kind == "unanswerable" and not spoken
        if wrong is not None and spoken and not ranked[0][1]:
            top = ranked[0][0]
            wrong.append(f"{ex.case.id} [{model.confidence(top.features):.3f}] {ex.case.question!r} -> "
                         f"{top.candidate.spoken[:90]!r}")
    return counts


def figures(counts: dict[str, int]) -> str:
    precision = counts["right"] / max(1, counts["spoken"])
    coverage = counts["right"] / max(1, counts["answerable"])
    declined = counts["declined_unanswerable"] / max(1, counts["unanswerable"])
    return (f"precision {precision:.3f} ({counts['right']}/{counts['spoken']})  coverage {coverage:.3f}  "
            f"unanswerable declined {declined:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--precision", type=float, default=PRECISION)
    parser.add_argument("--min-coverage", type=float, default=MIN_COVERAGE)
    parser.add_argument("--show-wrong", action="store_true", help="list the wrong answers of each fold")
    args = parser.parse_args()
    embedder = MiniLmEmbedder.from_settings(KnowledgeSettings())
    selector = Selector(AnswerModel((0.0,) * len(FEATURES), 0.0, 0.5, 0.5), embed=embedder.embed)
    with labelled_store(embedder) as store:
        examples = asyncio.run(collect(store, load("dev"), selector))
    total = dict.fromkeys(("answerable", "unanswerable", "spoken", "right", "declined_unanswerable"), 0)
    for org in sorted({ex.case.org for ex in examples}):
        model, _ = fitted([ex for ex in examples if ex.case.org != org], args.precision, args.min_coverage)
        wrong: list[str] = []
        counts = score([ex for ex in examples if ex.case.org == org], model, wrong)
        total = {k: total[k] + counts[k] for k in total}
        print(f"{org:10} threshold {model.threshold:.3f}  {figures(counts)}")
        if args.show_wrong:
            print("".join(f"   WRONG {w}\n" for w in wrong), end="")
    print(f"{'left out':10} {figures(total)}")
    in_sample, _ = fitted(examples, args.precision, args.min_coverage)
    print(f"{'in-sample':10} {figures(score(examples, in_sample))}")
    try:
        print(f"{'committed':10} {figures(score(examples, default_model()))}  ({model_path().name})")
    except ValueError as exc:  # the features changed since it was fitted
        print(f"{'committed':10} {exc}")


if __name__ == "__main__":
    main()
