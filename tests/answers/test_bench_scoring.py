"""The answer benchmark's check that a spoken answer states a labelled fact (bench/answers/evaluate)."""

from __future__ import annotations

from bench.answers.cases import Case
from bench.answers.evaluate import Outcome, by_organisation, states


def test_a_figure_is_stated_only_whole() -> None:
    # cloud.gov's pricing rows: "how many credits come with that?" (Femto, 50) is not answered by
    # another tier's row that holds "50" inside a longer figure.
    assert states("Femto, credits 50, annual price $30,000.", ("50", "fifty"))
    assert not states("Nano, credits 150, annual price $90,000.", ("50", "fifty"))
    assert not states("Mega, credits 1500, annual price $720,000.", ("50",))
    assert not states("It costs $30,000 a year.", ("$30",))
    assert not states("It costs $30.50.", ("$30",))
    assert not states("About 2.5 GB.", ("2",))


def test_a_figure_is_stated_in_any_of_its_usual_forms() -> None:
    assert states("Yellowstone (private, non-commercial vehicle) - $30.00. 7-day pass.", ("$30",))
    assert states("$6.67 /user/month billed annually", ("6.67", "$8"))
    assert states("Call 1-800-772-1213.", ("800-772-1213",))
    assert states("Open from 8:00 a.m. to 7 p.m.", ("8 a.m.", "8:00 a.m."))
    assert states("A five-hour drive of 215 miles.", ("215",))
    assert states("You can request a discount.", ("discount",))


def test_figures_are_given_per_organisation_too() -> None:
    def outcome(org: str, n: int, kind: str, text: str, declined: bool) -> Outcome:
        facts = (("$5",),) if kind == "answerable" else ()
        return Outcome(Case(f"{org}-{n}", org, "test", kind, "how much is it?", facts, None, ()),
                       text, declined, 0.9, 1.0, "offline")

    outcomes = [outcome("a", 1, "answerable", "It is $5.", False), outcome("a", 2, "answerable", "", True),
                outcome("b", 1, "answerable", "It is $6.", False), outcome("b", 2, "unanswerable", "", True)]
    figures = by_organisation(outcomes)
    assert (figures["a"]["precision"], figures["a"]["coverage"]) == (1.0, 0.5)
    assert (figures["b"]["precision"], figures["b"]["coverage"], figures["b"]["unanswerable_declined"]) == (
        0.0, 0.0, 1.0)
