"""Integrity of the labelled answer-quality set (tests/answers_dataset.py, tests/data/answers/)."""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.answers_dataset import (
    DATA_DIR,
    DatasetError,
    LabelledQuestion,
    documents,
    load_questions,
    organisations,
)

QUESTIONS = load_questions()
BY_ID = {q.id: q for q in QUESTIONS}


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


@cache
def _document_text(path: Path) -> str:
    """The document's words as a reader sees them: markup stripped, whitespace collapsed, lower case."""
    return _normalise(BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").get_text(" "))


def test_counts_per_kind_reach_the_floors() -> None:
    kinds = Counter(q.kind for q in QUESTIONS)
    assert kinds["answerable"] >= 80
    assert kinds["unanswerable"] >= 25
    assert kinds["hostile"] >= 20
    assert sum(1 for q in QUESTIONS if q.follow_up_of) >= 10


def test_at_least_five_organisations_each_with_questions_of_every_kind() -> None:
    orgs = organisations()
    assert len(orgs) >= 5
    for org in orgs:
        assert {q.kind for q in QUESTIONS if q.org == org} == {"answerable", "unanswerable", "hostile"}, org
    assert {q.org for q in QUESTIONS} <= set(orgs)


def test_ids_are_unique() -> None:
    assert len(BY_ID) == len(QUESTIONS)


def test_every_source_exists_and_belongs_to_the_question_org() -> None:
    for q in QUESTIONS:
        if q.kind == "answerable":
            assert q.source, q.id
        if q.source_path is not None:
            assert q.source_path.is_file(), (q.id, q.source)
            assert q.source_path.parent.name == q.org, q.id


@pytest.mark.parametrize("question", [q for q in QUESTIONS if q.kind == "answerable"], ids=lambda q: q.id)
def test_every_fact_appears_in_its_source_document(question: LabelledQuestion) -> None:
    assert question.facts, question.id
    assert question.source_path is not None
    text = _document_text(question.source_path)
    for alternatives in question.facts:
        assert any(_normalise(a) in text for a in alternatives), (question.id, alternatives)


def test_only_answerable_questions_carry_facts() -> None:
    assert all(not q.facts for q in QUESTIONS if q.kind != "answerable")


def test_follow_ups_come_after_a_parent_in_the_same_split() -> None:
    seen: set[str] = set()
    for q in QUESTIONS:
        if q.follow_up_of is not None:
            parent = BY_ID[q.follow_up_of]
            assert parent.id in seen, q.id
            assert (parent.split, parent.org) == (q.split, q.org), q.id
        seen.add(q.id)


def test_split_is_roughly_half_and_half_for_every_kind() -> None:
    for kind in ("answerable", "unanswerable", "hostile"):
        splits = Counter(q.split for q in QUESTIONS if q.kind == kind and q.addition is None)
        assert abs(splits["dev"] - splits["test"]) <= max(3, (splits["dev"] + splits["test"]) // 10), kind


def test_later_additions_are_labelled_dev_questions_only() -> None:
    added = [q for q in QUESTIONS if q.addition is not None]
    assert all(q.split == "dev" and (q.addition or "").strip() for q in added)
    assert len(added) < len(QUESTIONS) // 5  # the balanced split stays the bulk of the set


def test_planted_hostile_text_sits_in_tampered_fixtures_only() -> None:
    planted = {s.lower() for q in QUESTIONS if q.source and "tampered" in q.source for s in q.must_not_say}
    assert planted
    for path in documents():
        raw = path.read_text(encoding="utf-8").lower()
        found = {s for s in planted if s in raw}
        assert bool(found) == path.stem.endswith("-tampered"), (path.name, found)


def test_documents_lists_distractors_and_every_organisation() -> None:
    docs = documents()
    assert {p.parent.name for p in docs} == {*organisations(), "distractors"}
    assert all(p.parent.name != "distractors" for p in documents(include_distractors=False))
    assert sum(p.stat().st_size for p in DATA_DIR.rglob("*") if p.is_file()) < 3_000_000


def test_a_malformed_line_is_reported_with_its_number(tmp_path: Path) -> None:
    bad = tmp_path / "questions.jsonl"
    bad.write_text('{"id": "x-1", "org": "x", "split": "train"}\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="line 1"):
        load_questions(bad)
