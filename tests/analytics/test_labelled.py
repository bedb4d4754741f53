"""Per-call analytics and knowledge gaps checked against a person's labels of real calls
(tests/data/calls: `earpiece agent` answering baresip callers; the figures are in evaluation.md)."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from earpiece.core.analytics import CallAnalyser, CallAnalysis, CallArchive, gap_questions, group_gaps
from earpiece.core.analytics.gaps import SIMILARITY
from earpiece.core.answers.model import AnswerModel, model_path
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import Settings
from tests.analytics.labelled_calls import labels
from tests.data.calls.evaluate import completeness, labelled_gaps, purity, topic_groups

pytestmark = pytest.mark.models

SENTIMENT = {"positive": "pos", "negative": "neg", "neutral": "neu"}


@pytest.fixture
def analysed(archive: CallArchive, call_analyser: CallAnalyser) -> dict[str, CallAnalysis]:
    return {c.call_id: call_analyser.analyse(c) for c in archive.calls()}


def test_dispositions_and_intents_match_the_labels(analysed: dict[str, CallAnalysis]) -> None:
    truth = labels()
    dispositions = {i: str(a.disposition) for i, a in analysed.items()}
    assert dispositions == {i: t["disposition"] for i, t in truth.items()}
    right = sum(a.intent == truth[i]["intent"] for i, a in analysed.items())
    assert right / len(truth) >= 0.7  # measured 0.75: dev 0.9, test 0.5 (evaluation.md)


def test_caller_sentiment_follows_the_labels(analysed: dict[str, CallAnalysis]) -> None:
    truth = labels()
    pairs = [(SENTIMENT[s.sentiment.label], want) for i, a in analysed.items()
             for s, want in zip(a.caller_sentiment, truth[i]["sentiment"], strict=True)]
    assert all(got == "neg" for got, want in pairs if want == "neg")  # every upset caller turn is caught
    # measured 0.825 (dev 0.96, test 0.6: VADER scores "free", "thanks", "party" as positive)
    assert sum(got == want for got, want in pairs) / len(pairs) >= 0.8
    calm = [a for i, a in analysed.items() if "neg" not in truth[i]["sentiment"]]
    assert calm and all(a.sentiment.label != "negative" for a in calm)


def words(text: str) -> set[str]:
    return set(re.findall(r"[\w£.:']+", text.lower()))


def test_summaries_keep_the_facts_and_only_say_what_the_call_said(analysed: dict[str, CallAnalysis]) -> None:
    truth = labels()
    for call_id, analysis in analysed.items():
        summary = analysis.summary
        for fact in truth[call_id]["facts"]:
            assert fact.lower() in summary.text.lower(), (fact, summary.text)
        said = words(" ".join(line.text for line in analysis.call.transcript))
        quoted = words(" ".join((*summary.wanted, *(t for t in summary.told if t != "no answer known"))))
        assert quoted <= said, quoted - said  # extractive: nothing the transcript did not hold
        assert len(summary.wanted) == len([q for q in truth[call_id]["questions"]])


def test_gaps_are_the_declined_questions_never_thanks(archive: CallArchive) -> None:
    truth = labels()
    found = {(q.call_id, q.question) for q in gap_questions(archive.calls(), 0.5)}
    # records without a confidence: the declines are found, and each is a real gap
    assert found == {(i, q["text"]) for i, t in truth.items() for q in t["questions"] if q["declined"]}
    assert found <= {(i, q["text"]) for i, t in truth.items() for q in t["questions"] if q["gap"]}
    courtesy = {"Great, thanks a lot, goodbye.", "Wonderful, that is really helpful, thank you."}
    assert not {q for _, q in found} & courtesy


# Floors under the measured figures (purity, completeness): dev 1.0 / 0.909, held-out "test"
# 1.0 / 0.8. Test completeness fell to 0.7 when the int8 embedder quantized a whole batch with one
# scale (a question's vector depended on the others embedded with it) and is back at 0.8 with one
# text per run (79340c7). The two topics still split ("jobs", "parking") are not separable at
# purity 1.0 by any threshold: each pair is as far apart as from another topic (0.41, 0.39 cosine).
FLOORS = {"dev": (0.9, 0.9), "test": (0.9, 0.8)}


@pytest.mark.parametrize("subset", ["dev", "test"])
def test_labelled_gap_questions_group_by_topic(archive: CallArchive, embedder: MiniLmEmbedder,
                                                subset: str) -> None:
    truth = labels()
    questions = [q for q in labelled_gaps(archive, truth) if truth[q.call_id]["set"] == subset]
    if not questions:
        pytest.skip(f"no {subset} calls recorded")
    topic_of = {(i, q["text"]): q["topic"] for i, t in truth.items() for q in t["questions"]}
    groups = topic_groups(group_gaps(questions, embedder, SIMILARITY), topic_of)
    least_purity, least_completeness = FLOORS[subset]
    assert purity(groups) >= least_purity and completeness(groups) >= least_completeness, groups


def test_a_recorded_confidence_decides_what_is_a_gap(records: Path, tmp_path: Path) -> None:
    """Records with the per-answer confidence and decline marker (added to the turn metrics later)."""
    path = records / "2607734435fa.json"
    data = json.loads(path.read_text())
    hours, jobs, _thanks = data["turns"]
    hours |= {"confidence": 0.92, "declined": False}
    jobs |= {"confidence": 0.21, "declined": False}  # answered from the wrong passage, unsure
    path.write_text(json.dumps(data))
    call = CallArchive(records, tmp_path / "none.jsonl").get("2607734435fa")
    (gap,) = gap_questions([call], low_confidence=0.5)
    assert (gap.question, gap.reason, gap.confidence) == \
        ("Do you have any job vacancies?", "low confidence", 0.21)
    assert gap_questions([call], low_confidence=0.2) == []


def test_the_gap_floor_is_above_where_answers_are_spoken() -> None:
    """The selector speaks an answer only at or above its threshold (a model is asked from its LLM
    threshold): a floor at or below them would never count a spoken answer as a gap. Where it sits
    above them was measured on labelled answers (tests/data/calls/low-confidence.md)."""
    model = AnswerModel.from_file(model_path())
    assert Settings().analytics.low_confidence > max(model.threshold, model.llm_threshold)


def test_an_unchanged_record_is_analysed_once(records: Path, tmp_path: Path,
                                              call_analyser: CallAnalyser) -> None:
    archive = CallArchive(records, tmp_path / "none.jsonl")
    first = call_analyser.analyse(archive.get("2607734435fa"))
    assert call_analyser.analyse(archive.get("2607734435fa")) is first
    path = records / "2607734435fa.json"
    data = json.loads(path.read_text())
    data["turns"][0]["declined"] = True  # the file changes: its analysis is made again
    path.write_text(json.dumps(data))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    again = call_analyser.analyse(archive.get("2607734435fa"))
    assert again is not first and again.declined == first.declined + 1
