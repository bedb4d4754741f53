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


def test_a_follow_up_after_pleasantries_is_searched_with_the_previous_topic_and_without_them() -> None:
    answerer = Answerer(OfflineResponder(0.35), None)
    history = (
        ChatTurn("caller", "Hi, sorry to bother you, when are you open on Sunday?"),
        ChatTurn("assistant", "On Sunday we are closed."),
    )
    retrieval = asyncio.run(answerer.retrieve("Sorry, quick question, and on Saturdays?", history))
    # (Without a knowledge base nothing is found, so the previous question is searched with it too.)
    assert retrieval.query.endswith("when are you open on saturdays")
    assert not {"hi", "sorry", "bother", "quick"} & set(retrieval.query.lower().replace(",", "").split())
