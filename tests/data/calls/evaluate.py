"""Measure the call analytics on the labelled records of real calls in this folder:

    .venv/bin/python -m tests.data.calls.evaluate

Prints and writes `evaluation.json` / `evaluation.md` here: disposition and intent accuracy, caller
sentiment agreement (VADER against a person's labels), how many labelled facts the summaries keep
and how long they are, how many of the questions the knowledge base cannot answer were found as
gaps (declined, or below the confidence floor when the record carries a confidence), and the purity
/ completeness of the groups made of every labelled gap question at several similarity thresholds
(the shipped one is `earpiece.core.analytics.gaps.SIMILARITY`).

The analysis stores each call's summary beside its record (`<id>.summary`), so it runs on a
temporary copy of `records/`: the committed folder holds the records only.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from earpiece.core.analytics import CallAnalysis, CallArchive, analyser, gap_questions, group_gaps
from earpiece.core.analytics.gaps import SIMILARITY, GapGroup, GapQuestion
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import Settings

HERE = Path(__file__).resolve().parent
SENTIMENT = {"positive": "pos", "negative": "neg", "neutral": "neu"}
THRESHOLDS = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75)


def purity(groups: Sequence[Sequence[str]]) -> float:
    """Share of questions that sit in a group whose most common topic is theirs."""
    total = sum(len(g) for g in groups)
    return sum(Counter(g).most_common(1)[0][1] for g in groups if g) / total if total else 1.0


def completeness(groups: Sequence[Sequence[str]]) -> float:
    """Share of questions that sit in the group holding most of their topic (inverse purity)."""
    topics = Counter(t for g in groups for t in g)
    best = {t: max(Counter(g)[t] for g in groups) for t in topics}
    return sum(best.values()) / sum(topics.values()) if topics else 1.0


def topic_groups(groups: Sequence[GapGroup], topic_of: dict[tuple[str, str], str]) -> list[list[str]]:
    return [[topic_of[(q.call_id, q.question)] for q in g.questions] for g in groups]


def labelled_gaps(archive: CallArchive, labels: dict[str, dict[str, Any]]) -> list[GapQuestion]:
    """Every caller question a person labelled as not answerable from the knowledge base, whatever
    the assistant did with it: the grouping is measured on these."""
    wanted = {(i, q["text"]) for i, label in labels.items() for q in label["questions"] if q["gap"]}
    return [GapQuestion(str(t["question"]), call.call_id, call.started_at, call.knowledge_base, "labelled",
                        None, str(t.get("answer", "")))
            for call in archive.calls() for t in call.turns if (call.call_id, t.get("question")) in wanted]


def evaluate(archive: CallArchive, labels: dict[str, dict[str, Any]], settings: Settings) -> dict[str, Any]:
    calls = archive.calls()
    engine = analyser(settings)
    analyses: dict[str, CallAnalysis] = {c.call_id: engine.analyse(c) for c in calls}
    disposition_ok = sum(str(a.disposition) == labels[i]["disposition"] for i, a in analyses.items())
    intent_ok = sum(a.intent == labels[i]["intent"] for i, a in analyses.items())
    pairs = [(SENTIMENT[s.sentiment.label], want) for i, a in analyses.items()
             for s, want in zip(a.caller_sentiment, labels[i]["sentiment"], strict=True)]
    facts = [(fact, a.summary.text) for i, a in analyses.items() for fact in labels[i]["facts"]]
    summary_words = [len(a.summary.text.split()) for a in analyses.values()]
    transcript_words = [sum(len(line.text.split()) for line in a.call.transcript) for a in analyses.values()]
    found = {(q.call_id, q.question) for q in gap_questions(calls, settings.analytics.low_confidence)}
    topic_of = {(i, q["text"]): q["topic"] for i, label in labels.items() for q in label["questions"]}
    labelled = labelled_gaps(archive, labels)
    truth = {(q.call_id, q.question) for q in labelled}
    embedder = MiniLmEmbedder.from_settings(settings.knowledge)
    sweep: dict[str, dict[str, Any]] = {}
    for name in sorted({label["set"] for label in labels.values()}):
        part = [q for q in labelled if labels[q.call_id]["set"] == name]
        for threshold in THRESHOLDS:
            groups = topic_groups(group_gaps(part, embedder, threshold), topic_of)
            sweep.setdefault(str(threshold), {})[name] = {
                "groups": len(groups), "topics": len({topic_of[(q.call_id, q.question)] for q in part}),
                "purity": round(purity(groups), 3), "completeness": round(completeness(groups), 3)}
    by_set: dict[str, dict[str, float]] = {}
    for name in sorted({label["set"] for label in labels.values()}):
        in_set = {i: a for i, a in analyses.items() if labels[i]["set"] == name}
        turns = [(SENTIMENT[s.sentiment.label], want) for i, a in in_set.items()
                 for s, want in zip(a.caller_sentiment, labels[i]["sentiment"], strict=True)]
        intents_ok = sum(a.intent == labels[i]["intent"] for i, a in in_set.items())
        kept = [fact.lower() in a.summary.text.lower()
                for i, a in in_set.items() for fact in labels[i]["facts"]]
        by_set[name] = {"calls": len(in_set),
                        "intent_accuracy": round(intents_ok / len(in_set), 3),
                        "sentiment_accuracy": round(sum(g == w for g, w in turns) / len(turns), 3),
                        "summary_fact_recall": round(sum(kept) / len(kept), 3), "summary_facts": len(kept)}
    return {
        "calls": len(calls),
        "by_set": by_set,
        "disposition_accuracy": round(disposition_ok / len(calls), 3),
        "intent_accuracy": round(intent_ok / len(calls), 3),
        "intent_errors": {i: [a.intent, labels[i]["intent"]] for i, a in analyses.items()
                          if a.intent != labels[i]["intent"]},
        "sentiment_turns": len(pairs),
        "sentiment_accuracy": round(sum(g == w for g, w in pairs) / len(pairs), 3),
        "sentiment_confusion": dict(Counter(f"{w}->{g}" for g, w in pairs)),
        "summary_fact_recall": round(sum(f.lower() in s.lower() for f, s in facts) / len(facts), 3),
        "summary_words_mean": round(sum(summary_words) / len(calls), 1),
        "transcript_words_mean": round(sum(transcript_words) / len(calls), 1),
        "gap_questions_labelled": len(truth),
        "gap_topics": len({topic_of[k] for k in truth}),
        "gap_questions_found": len(found),
        "gap_detection_recall": round(len(found & truth) / len(truth), 3),
        "gap_detection_precision": round(len(found & truth) / len(found), 3) if found else None,
        "gap_similarity_shipped": SIMILARITY,
        "gap_grouping": sweep,
    }


def main() -> None:
    labels = json.loads((HERE / "labels.json").read_text())
    with tempfile.TemporaryDirectory(prefix="earpiece-evaluate-") as tmp:
        records = shutil.copytree(HERE / "records", Path(tmp) / "records")
        result = evaluate(CallArchive(records, Path(tmp) / "no-history.jsonl"), labels, Settings())
    (HERE / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n")
    rows = "\n".join(f"| {t} | {name} | {v['groups']} / {v['topics']} | {v['purity']} | {v['completeness']} |"
                     for t, sets in result["gap_grouping"].items() for name, v in sets.items())
    r = result
    dev, test = r["by_set"]["dev"], r["by_set"]["test"]
    text = f"""# Call analytics on {r['calls']} labelled real calls

Records: `earpiece agent` (committed code, offline responder, no answer confidence in the records yet)
answering baresip callers (Piper voice) over Kamailio, made by `make_records.py`; labels by a person
in `labels.json`, written from the call scripts before the analytics ran on the "test" calls. Small
set: the figures are indicative.

| measure | value |
|---|---|
| disposition accuracy | {r['disposition_accuracy']} |
| intent accuracy | {r['intent_accuracy']} (dev {dev['intent_accuracy']}, test {test['intent_accuracy']}) |
| caller sentiment agreement (VADER, {r['sentiment_turns']} turns, 3 classes) | {r['sentiment_accuracy']} \
(dev {dev['sentiment_accuracy']}, test {test['sentiment_accuracy']}) |
| labelled facts kept by the summaries | {r['summary_fact_recall']} (dev {dev['summary_fact_recall']} of \
{dev['summary_facts']}, test {test['summary_fact_recall']} of {test['summary_facts']}) |
| summary words / transcript words (mean) | {r['summary_words_mean']} / {r['transcript_words_mean']} |
| questions the KB cannot answer (labelled) | {r['gap_questions_labelled']} in {r['gap_topics']} topics |
| found as gaps: recall / precision | {r['gap_detection_recall']} / {r['gap_detection_precision']} |

Grouping of the labelled gap questions by similarity threshold (shipped: {r['gap_similarity_shipped']},
chosen on the "dev" calls; the "test" calls were recorded after the choice):

| threshold | calls | groups / topics | purity | completeness |
|---|---|---|---|---|
{rows}

Sentiment confusion (label->VADER): {r['sentiment_confusion']}
"""
    (HERE / "evaluation.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
