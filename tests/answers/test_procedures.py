"""One step of a procedure is no answer to "how do I...?"; the procedure said from its start is."""

from __future__ import annotations

from earpiece.core.answers.selector import Selector, shared_selector
from earpiece.core.interfaces import Passage, UnitKind

HEADING = "How to reset your password"
STEPS = ("Enter your new password.", "Re-enter your password.", "Click the “Continue” button.")
WHOLE = ("Go to the sign-in page. Select the “Forgot your password?” link. Enter your email address. "
         "Click the “Continue” button. Enter your new password.")


def _steps(score: float = 0.8) -> list[Passage]:
    return [Passage(s, "help/password.md", heading=HEADING, score=score, kind=UnitKind.LIST) for s in STEPS]


def _spoken(selector: Selector, question: str, passages: list[Passage]) -> list[str]:
    return [s.candidate.spoken for s in selector.select(question, passages).ranked]


def test_a_lone_step_is_not_said_for_how_do_i() -> None:
    assert _spoken(shared_selector(), "how do I reset my password?", _steps()) == []


def test_the_procedure_from_its_start_is_said_for_how_do_i() -> None:
    whole = Passage(WHOLE, "help/password.md", heading=HEADING, score=0.7, kind=UnitKind.LIST)
    said = _spoken(shared_selector(), "how do I reset my password?", [*_steps(), whole])
    assert said[0].startswith("Go to the sign-in page. Select the “Forgot your password?” link.")


def test_a_step_still_answers_a_question_about_that_step() -> None:
    said = _spoken(shared_selector(), "which button do I click to go on?", _steps())
    assert "How to reset your password: Click the “Continue” button." in said
