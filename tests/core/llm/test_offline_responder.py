"""The responder that needs no LLM: the unit the selector is sure of, or "I don't know".

Which candidate wins is checked on the selection (`best`); whether it is spoken depends on the
calibrated threshold, checked where the confidence is clear either way."""

from __future__ import annotations

import asyncio

from earpiece.core.answers.selector import shared_selector
from earpiece.core.interfaces import AnswerRequest, Passage, UnitKind
from earpiece.core.llm.guard import NOT_FOUND_REPLY
from earpiece.core.llm.offline import OfflineResponder

HOURS = [
    Passage(f"Day: {day}; Hours: {hours}", "contact.html", heading="Opening hours", score=score,
            kind=UnitKind.ROW)
    for day, hours, score in (
        ("Monday to Friday", "8:00 am to 6:00 pm", 0.55),
        ("Saturday", "9:00 am to 1:00 pm", 0.6),
        ("Sunday and bank holidays", "Closed", 0.62),
    )
]
PRICES = [
    Passage("The Barista One espresso machine costs £349 and comes in black or red.", "prices.md",
            heading="Espresso machines", score=0.58, kind=UnitKind.SECTION),
    Passage("A stainless milk jug for the Barista One costs £19.", "prices.md", heading="Accessories",
            score=0.6, kind=UnitKind.SECTION),
]


def _answer(question: str, passages: list[Passage]) -> str:
    return _answer_request(AnswerRequest(question, passages))


def _answer_request(request: AnswerRequest) -> str:
    async def run() -> str:
        return "".join([c async for c in OfflineResponder(0.3).respond(request)])

    return asyncio.run(run())


def _best(question: str, passages: list[Passage]) -> str:
    best = OfflineResponder(0.3).select(AnswerRequest(question, passages)).best
    assert best is not None
    return best.candidate.spoken


def test_the_one_row_asked_about_is_spoken() -> None:
    assert _best("are you open on Sundays?", HOURS) == "Sunday and bank holidays: Closed."
    assert _best("what time do you open on Saturday?", HOURS) == "Saturday: 9:00 am to 1:00 pm."


def test_the_keypad_star_is_kept() -> None:
    unit = Passage("To hear your balance, press * then 1 on the keypad.", "ivr.md", heading="Phone menu",
                   score=0.7, kind=UnitKind.SECTION)
    assert "press * then 1" in _best("how do I hear my balance on the phone menu?", [unit])


def test_without_a_unit_it_is_sure_of_it_says_it_does_not_know_and_offers_a_person() -> None:
    assert _answer("Are dogs allowed in the shop?", PRICES) == NOT_FOUND_REPLY
    assert _answer("Anything?", []) == NOT_FOUND_REPLY
    assert "person" in NOT_FOUND_REPLY


def test_the_price_of_the_thing_asked_about_wins_over_a_closer_unit() -> None:
    assert _best("how much is the Barista One machine?", PRICES).startswith(
        "The Barista One espresso machine costs £349"
    )


def test_the_turns_selection_is_spoken_not_a_second_one() -> None:
    """The Answerer selected knowing the page names GitHub; the responder speaks that selection
    (alone, the retrieved unit does not name GitHub and it would decline)."""
    reply = Passage("A bug you file gets a reply within one week.", "contact.md", heading="Bug reports",
                    score=0.6, kind=UnitKind.SECTION)
    question = "if I file a bug on GitHub, how long does a reply take?"
    turn = shared_selector().select(question, [reply], document_words={"contact.md": frozenset({"github"})})
    assert turn.best is not None and turn.confidence >= shared_selector().model.threshold
    request = AnswerRequest(question, [reply], selection=turn)
    assert OfflineResponder(0.3).select(request) is turn
    assert _answer_request(request) == "A bug you file gets a reply within one week."
    assert _answer_request(AnswerRequest(question, [reply])) == NOT_FOUND_REPLY
