"""A caller who asks an FAQ's own question gets that FAQ's answer, whole (issue #11): not a later
sentence of it alone, not another page's sentence, not "I don't know"."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from earpiece.core.answers.units import sentences
from tests.answers.conftest import Ask

pytestmark = pytest.mark.models

FAQ = Path(__file__).parents[2] / "resources" / "kb" / "sample" / "faq.csv"
with FAQ.open(encoding="utf-8") as _file:
    ENTRIES = [(row["question"], row["answer"]) for row in csv.DictReader(_file)]


@pytest.mark.parametrize(("question", "answer"), ENTRIES, ids=[q for q, _ in ENTRIES])
def test_an_faq_question_asked_as_written_gets_its_answer(ask: Ask, question: str, answer: str) -> None:
    said = ask(question)
    assert not said.declined, question
    assert said.text == " ".join(sentences(answer)), said.text


REWORDED = {
    "Do you have a student discount?": "Do you offer a student discount?",
    "How often do I need to change the water filter?": "How often should I change the water filter?",
    "What payment methods do you accept?": "Which payment methods do you accept?",
    "Where can I find my order number?": "Where is my order number?",
    "Do you match prices?": "Do you price match?",
}


@pytest.mark.parametrize("question", REWORDED)
def test_an_faq_question_lightly_reworded_gets_its_answer(ask: Ask, question: str) -> None:
    answer = dict(ENTRIES)[REWORDED[question]]
    assert ask(question).text == " ".join(sentences(answer))


def test_a_later_sentence_alone_answers_what_the_faq_question_does_not_ask(ask: Ask) -> None:
    said = ask("Can the student discount be combined with the trade-in offer?")
    assert said.text.startswith("The discount cannot be combined"), said.text
