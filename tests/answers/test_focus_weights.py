"""Focus terms weighed by how few retrieved units hold them (#11): covering the words every unit
shares says little about whether a candidate answers the question."""

from __future__ import annotations

from earpiece.core.answers.model import FEATURES
from earpiece.core.answers.question import analyse
from earpiece.core.answers.selector import Selector, focus_weights
from earpiece.core.answers.units import Candidate
from earpiece.core.interfaces import Passage, UnitKind

UNITS = [
    Passage("You no longer need an account.", "delete.md", "How do I delete my account?",
            heading="Reasons to delete an account", kind=UnitKind.LIST),
    Passage("Deleting your account removes your e-mail address and password.", "delete.md",
            "How do I delete my account?"),
    Passage("A deleted account cannot be brought back; create a new one.", "delete.md",
            "How do I delete my account?", heading="After you delete your account"),
]


def test_a_term_every_unit_holds_weighs_less_than_one_only_the_answer_holds() -> None:
    asked = analyse("can I get my deleted account back?")
    weights = focus_weights(asked.focus, UNITS)
    assert weights["account"] < weights["back"]
    assert weights["account"] == weights["delet"] == 1 - 3 / 4
    assert weights["back"] == 1 - 1 / 4


def test_covering_only_the_shared_terms_is_a_weak_match() -> None:
    asked = analyse("can I get my deleted account back?")
    weights = focus_weights(asked.focus, UNITS)
    distinct, spoken_distinct = FEATURES.index("focus_distinct"), FEATURES.index("focus_spoken_distinct")
    reason = Selector.features(asked, Candidate(UNITS[0].text, UNITS[0].heading, UNITS[0]), 0.7, 0.0, weights)
    answer = Selector.features(asked, Candidate(UNITS[2].text, UNITS[2].heading, UNITS[2]), 0.7, 0.0, weights)
    # Unweighed, the reason would cover two thirds of the question (one third in its own words);
    # weighed, much less: its "deleted account" is what every unit says, the "back" it lacks is
    # what is asked.
    assert reason[distinct] == 0.5 / 1.25
    assert reason[spoken_distinct] == 0.25 / 1.25
    assert answer[distinct] == answer[spoken_distinct] == 1.0
