"""A model's sentence may only state figures that the retrieved passages hold."""

from __future__ import annotations

import pytest

from earpiece.core.interfaces import Passage
from earpiece.core.llm.factcheck import FactChecker

PASSAGES = [
    Passage("Call us free on 0800 555 0142. Standard delivery costs £4.95 and takes 3 to 5 working days.",
            "faq.md"),
    Passage("We are open 9:00 am to 6:00 pm. Write to support@larkspur.example or register at "
            "larkspur.example/register for a two-year warranty.", "contact.md", heading="Contact"),
]


@pytest.mark.parametrize(
    "sentence",
    [
        "Delivery costs £4.95.",
        "Delivery costs 4.95 pounds and takes three to five working days.",
        "You can call 0800 555 0142.",
        "We open at 9am and close at six.",
        "Write to support@larkspur.example.",
        "Register at https://www.larkspur.example/register.",
        "You get a 2 year warranty.",
        "Yes, that is right.",
    ],
)
def test_figures_from_the_passages_pass(sentence: str) -> None:
    assert FactChecker(PASSAGES).invented(sentence) == []


@pytest.mark.parametrize(
    ("sentence", "invented"),
    [
        ("Delivery costs £5.95.", "5:95"),
        ("Call us on 0800 555 0199.", "08005550199"),
        ("It takes 10 days.", "10"),
        ("Write to help@larkspur.example.", "help@larkspur.example"),
        ("See larkspur.example/account.", "larkspur.example/account"),
        ("We close at 8:30 pm.", "8:30"),
        # The figure is in the passages ("3 to 5 working days"), but not as an amount of money.
        ("Delivery costs £3.", "£3"),
        ("Delivery costs 5 dollars.", "$5"),
    ],
)
def test_an_invented_figure_is_reported(sentence: str, invented: str) -> None:
    assert invented in FactChecker(PASSAGES).invented(sentence)
