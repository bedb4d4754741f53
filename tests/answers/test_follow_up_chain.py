"""A follow-up of a follow-up keeps the topic of the question the chain started with."""

from __future__ import annotations

import asyncio

from earpiece.core.engine.answering import Answerer
from earpiece.core.interfaces import ChatTurn
from earpiece.core.llm.offline import OfflineResponder


def test_a_follow_up_of_a_follow_up_keeps_the_first_topic() -> None:
    answerer = Answerer(OfflineResponder(0.35), None)
    history = (
        ChatTurn("caller", "How much does it cost to get into Yellowstone with a car?"),
        ChatTurn("assistant", "Yellowstone (private vehicle) - $30.00. 7-day pass."),
        ChatTurn("caller", "and how long is that good for?"),
        ChatTurn("assistant", "It is a 7-day pass."),
    )
    retrieval = asyncio.run(answerer.retrieve("what about my motorcycle?", history))
    assert "yellowstone" in retrieval.query and "motorcycle" in retrieval.query
