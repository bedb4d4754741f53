"""The responder that needs no LLM: the most relevant passage sentences, or "I don't know"."""

from __future__ import annotations

import asyncio

from earpiece.core.interfaces import AnswerRequest, Passage
from earpiece.core.llm.guard import NOT_FOUND_REPLY
from earpiece.core.llm.offline import OfflineResponder, shorten_for_speech

FAQ = Passage(
    "## Refunds\n"
    "Q: How do I get a refund?\n"
    "A: Refunds are paid to the original card within 5 working days. "
    "You need your booking number. "
    "Our office is in Leeds. "
    "Gift vouchers are never refunded, but they can be exchanged.",
    "faq.md",
    score=0.7,
)


def _answer(question: str, passages: list[Passage], min_score: float = 0.35) -> str:
    async def run() -> str:
        return "".join(
            [c async for c in OfflineResponder(min_score).respond(AnswerRequest(question, passages))]
        )

    return asyncio.run(run())


def test_answers_with_the_relevant_sentences_of_the_best_passage_only() -> None:
    other = Passage("Trains to York leave every hour.", "trains.md", score=0.5)
    answer = _answer("How do I get a refund?", [other, FAQ])
    assert answer.startswith("Refunds are paid to the original card within 5 working days.")
    assert "Leeds" not in answer and "York" not in answer
    assert "?" not in answer and "Q:" not in answer and "#" not in answer


def test_the_second_sentence_is_the_other_relevant_one() -> None:
    answer = shorten_for_speech(FAQ, "Can gift vouchers be refunded?")
    assert answer == (
        "Refunds are paid to the original card within 5 working days. "
        "Gift vouchers are never refunded, but they can be exchanged."
    )


def test_below_the_threshold_it_says_it_does_not_know_and_offers_a_person() -> None:
    weak = Passage("Trains to York leave every hour.", "trains.md", score=0.2)
    assert _answer("What is the meaning of life?", [weak]) == NOT_FOUND_REPLY
    assert _answer("Anything?", []) == NOT_FOUND_REPLY
    assert "person" in NOT_FOUND_REPLY


def test_a_close_second_passage_holding_the_asked_words_wins() -> None:
    trade_in = Passage(
        "Send us any old coffee machine and get 50 pounds off a Barista One.", "prices.md", score=0.55
    )
    care_plan = Passage(
        "The CarePlan extends protection to five years. It costs 79 pounds for coffee machines.",
        "warranty.txt",
        score=0.49,
    )
    far = Passage("Coffee machines cost money. The coffee machine cost is high.", "x.md", score=0.30)
    answer = _answer("How much does the care plan cost for a coffee machine?", [trade_in, care_plan, far])
    assert answer.startswith("It costs 79 pounds for coffee machines.")
