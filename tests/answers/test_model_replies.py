"""A model's sentence that states nothing (it asks back, or only repeats a passage heading) is not
spoken; through the real OpenAI SDK against the local chat-completions server."""

from __future__ import annotations

from earpiece.core.engine.answering import Answer, Answerer
from earpiece.core.llm.chat_completions import openai_responder
from earpiece.core.llm.fallback import FallbackResponder
from earpiece.core.settings import LlmSettings
from tests.answers.conftest import answer_now
from tests.core.engine.harness import KNOWLEDGE, WordRetriever
from tests.fakes.openai_server import FakeConfig, fake_openai_server


def _answer(reply: str, question: str) -> Answer:
    with fake_openai_server(FakeConfig(reply=reply)) as server:
        llm = LlmSettings(openai_base_url=server.openai_base_url, timeout_s=2)
        answerer = Answerer(FallbackResponder([openai_responder(llm)]), WordRetriever(list(KNOWLEDGE)),
                            min_score=0.3)
        return answer_now(answerer, question)


def test_a_question_asked_back_is_not_spoken() -> None:
    answer = _answer("What time do we open on Saturday? On Saturday we open from nine to one.",
                     "When do you open on Saturday?")
    assert answer.sentences == ["On Saturday we open from nine to one."]
    assert answer.dropped == ["What time do we open on Saturday?"]


def test_a_repeated_heading_alone_falls_back() -> None:
    heading = KNOWLEDGE[1].title
    answer = _answer(f"{heading}.", "what is standard delivery")
    assert answer.dropped == [f"{heading}."] and f"{heading}." not in answer.sentences
    assert answer.provider == "extractive"
