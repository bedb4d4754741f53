"""A figure the caller names in digits (a year, an amount) and the candidate lacks tells against it
(#11): "what's the earnings limit for 2009?" is not answered by the limit of another year."""

from __future__ import annotations

from earpiece.core.answers.model import FEATURES, default_model
from earpiece.core.answers.question import analyse
from earpiece.core.answers.selector import Selector
from earpiece.core.answers.units import Candidate
from earpiece.core.interfaces import Passage

TITLE = "How work affects your benefits"
LIMITS = [
    Passage("In 2008 the earnings limit is $13,560 a year.", "work.html", TITLE),
    Passage("In 2009 the earnings limit is $14,160 a year.", "work.html", TITLE),
    Passage("In the year you reach full retirement age a higher limit applies.", "work.html", TITLE,
            heading="Earnings limit in 2009"),
]
MISSING = FEATURES.index("number_missing")


def features(question: str, unit: Passage) -> tuple[float, ...]:
    return Selector.features(analyse(question), Candidate(unit.text, unit.heading, unit), 0.7, 0.0)


def test_the_figures_named_in_digits_are_read_normalised() -> None:
    assert analyse("I earned 14,160 dollars in 2009, is that over?").numbers == {"14160", "2009"}
    assert analyse("can I bring 3.4 ounces?").numbers == {"3.4"}
    assert analyse("is my four year old too young?").numbers == frozenset()  # words are no figure


def test_a_candidate_without_the_named_year_is_marked() -> None:
    asked = "what's the earnings limit for 2009?"
    assert features(asked, LIMITS[0])[MISSING] == 1.0
    assert features(asked, LIMITS[1])[MISSING] == 0.0
    assert features(asked, LIMITS[2])[MISSING] == 0.0  # its heading names the year
    assert features("what's the earnings limit?", LIMITS[0])[MISSING] == 0.0


def test_the_committed_model_trusts_a_candidate_less_when_it_lacks_the_figure() -> None:
    model = default_model()
    asked = "what's the earnings limit for 2009?"
    holds, lacks = list(features(asked, LIMITS[1])), list(features(asked, LIMITS[1]))
    lacks[MISSING] = 1.0
    assert model.confidence(tuple(lacks)) < model.confidence(tuple(holds))
