"""A question whose words were misheard on the line is answered right or declined, never with the
nearest sentence that reads like what is left of it."""

from __future__ import annotations

import pytest

from tests.answers.conftest import Ask

pytestmark = pytest.mark.models


def test_how_with_its_degree_word_lost_asks_for_a_measure(ask: Ask) -> None:
    # The demo caller's "How long do I have to return a product for a refund?" as Moonshine heard it.
    answer = ask("How on do I have to return a product for a refin?")
    assert "other retailers" not in answer.text
    assert answer.declined or "30 days" in answer.text, answer.text
