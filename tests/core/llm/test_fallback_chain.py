"""Every fallback path, through the real `groq` and `openai` SDKs against a local server."""

from __future__ import annotations

import asyncio
import dataclasses
import time

import pytest

from earpiece.core.answers.model import default_model
from earpiece.core.answers.selector import Selector
from earpiece.core.interfaces import AnswerRequest, Passage
from earpiece.core.llm.chat_completions import groq_responder, openai_responder
from earpiece.core.llm.errors import ResponderError
from earpiece.core.llm.factory import build_responder
from earpiece.core.llm.fallback import FallbackResponder, Outcome
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import LlmSettings, Settings
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, Mode, fake_openai_server

PASSAGE = Passage("Our office opens at 8 am. Parking is free for visitors.", "hours.md", score=0.8)
REQUEST = AnswerRequest("When does the office open?", [PASSAGE])
OFFLINE_ANSWER = "Our office opens at 8 am."
TIMEOUT_S = 0.8  # how long a broken provider is waited for
FIRST_TOKEN_S = 5.0  # a healthy provider on a loaded machine must never be mistaken for a broken one

MAKERS = {"groq": groq_responder, "openai": openai_responder}
# The chain is under test here, not the selector's threshold: the offline link always speaks.
ALWAYS_SPEAKS = Selector(dataclasses.replace(default_model(), threshold=0.0))


@pytest.fixture(autouse=True)
def groq_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARPIECE_SECRET_GROQ", "gsk_test_key_0123456789abcdef")


def _chain(provider: str, llm: LlmSettings, first_token_s: float = FIRST_TOKEN_S) -> FallbackResponder:
    return FallbackResponder(
        [MAKERS[provider](llm), OfflineResponder(min_score=0.35, selector=ALWAYS_SPEAKS)],
        first_token_timeout_s=first_token_s,
        stall_timeout_s=TIMEOUT_S,
    )


async def _collect(chain: FallbackResponder, request: AnswerRequest = REQUEST) -> tuple[str, dict]:
    stream = chain.respond(request)
    text = "".join([chunk async for chunk in stream])
    return text, stream.report.as_dict()


def _settings(server: FakeOpenAIServer, **kw: object) -> LlmSettings:
    base = {"groq_base_url": server.groq_base_url, "openai_base_url": server.openai_base_url, "timeout_s": 5}
    return LlmSettings.model_validate(base | kw)


@pytest.mark.parametrize("provider", ["groq", "openai"])
def test_a_healthy_provider_serves_the_answer(provider: str) -> None:
    with fake_openai_server(FakeConfig(reply="We open at eight. Welcome!")) as server:
        text, report = asyncio.run(_collect(_chain(provider, _settings(server))))
        request = server.config.requests[0]
    assert text == "We open at eight. Welcome!"
    assert report["served_by"] == provider
    assert [a["outcome"] for a in report["attempts"]] == ["served"]
    assert report["ttft_ms"] is not None and report["ttft_ms"] >= 0
    path = "/openai/v1/chat/completions" if provider == "groq" else "/v1/chat/completions"
    assert request["path"] == path
    assert request["body"]["stream"] is True


@pytest.mark.parametrize("provider", ["groq", "openai"])
@pytest.mark.parametrize(
    ("mode", "outcome", "reason_part"),
    [
        (Mode.STALL_FIRST, Outcome.FIRST_TOKEN_TIMEOUT, "no first token"),
        (Mode.STALL_MID, Outcome.STALLED, "first sentence"),
        (Mode.HTTP_500, Outcome.ERROR, "HTTP 500"),
        (Mode.MODEL_404, Outcome.ERROR, "retired"),
        (Mode.GARBAGE, Outcome.ERROR, "JSONDecodeError"),
        (Mode.EMPTY, Outcome.EMPTY, "no text"),
    ],
)
def test_a_failing_provider_falls_back_to_offline_and_says_why(
    provider: str, mode: Mode, outcome: Outcome, reason_part: str
) -> None:
    config = FakeConfig(mode=mode, reply="We open at eight in the morning on weekdays.", stall_after_chunks=2)
    with fake_openai_server(config) as server:
        first_token_s = TIMEOUT_S if mode is Mode.STALL_FIRST else FIRST_TOKEN_S
        started = time.monotonic()
        text, report = asyncio.run(_collect(_chain(provider, _settings(server), first_token_s)))
        elapsed = time.monotonic() - started
    assert text == OFFLINE_ANSWER
    assert report["served_by"] == "offline"
    first, second = report["attempts"]
    assert (first["provider"], first["outcome"]) == (provider, str(outcome))
    assert reason_part in first["reason"]
    assert second["outcome"] == "served"
    assert elapsed < first_token_s + 3  # the switch is bounded by the timeouts, not by the SDK's retries


@pytest.mark.parametrize("provider", ["groq", "openai"])
def test_a_slow_first_token_within_the_timeout_is_waited_for(provider: str) -> None:
    config = FakeConfig(mode=Mode.SLOW_FIRST, first_token_delay_s=0.3, reply="Eight o'clock. Yes.")
    with fake_openai_server(config) as server:
        text, report = asyncio.run(_collect(_chain(provider, _settings(server))))
    assert text == "Eight o'clock. Yes."
    assert report["served_by"] == provider
    assert report["attempts"][0]["ttft_ms"] >= 250


def test_a_slow_first_token_beyond_the_timeout_switches() -> None:
    config = FakeConfig(mode=Mode.SLOW_FIRST, first_token_delay_s=3.0)
    with fake_openai_server(config) as server:
        text, report = asyncio.run(_collect(_chain("groq", _settings(server), first_token_s=1.0)))
    assert text == OFFLINE_ANSWER
    assert report["attempts"][0]["outcome"] == "first_token_timeout"


def test_no_switch_after_the_first_sentence_went_out() -> None:
    """A stall after text was handed on (audio may be playing) cuts the answer short instead."""
    config = FakeConfig(
        mode=Mode.STALL_MID,
        reply="We open at eight. After that we stay open",
        chunk_words=2,
        stall_after_chunks=3,
    )
    with fake_openai_server(config) as server:
        text, report = asyncio.run(_collect(_chain("groq", _settings(server))))
    assert text.startswith("We open at eight.")
    assert OFFLINE_ANSWER not in text
    assert report["served_by"] == "groq"
    assert [a["outcome"] for a in report["attempts"]] == ["cut_short"]


def test_a_missing_groq_key_is_a_recorded_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARPIECE_SECRET_GROQ")
    with fake_openai_server() as server:
        text, report = asyncio.run(_collect(_chain("groq", _settings(server))))
        assert server.config.requests == []
    assert text == OFFLINE_ANSWER
    assert report["attempts"][0]["outcome"] == "error"
    assert "no API key" in report["attempts"][0]["reason"]


def test_the_groq_request_carries_settings_and_reasoning_options() -> None:
    with fake_openai_server(FakeConfig(reply="Eight.")) as server:
        llm = _settings(server, groq_model="openai/gpt-oss-20b", max_tokens=200, temperature=0.1)
        asyncio.run(_collect(_chain("groq", llm)))
        request = server.config.requests[0]
    body = request["body"]
    assert body["model"] == "openai/gpt-oss-20b"
    assert body["reasoning_effort"] == "low"
    assert body["max_tokens"] > 200  # headroom for the reasoning tokens
    assert body["temperature"] == 0.1
    assert request["headers"]["Authorization"] == "Bearer gsk_test_key_0123456789abcdef"


def test_a_non_reasoning_model_gets_no_reasoning_option() -> None:
    with fake_openai_server(FakeConfig(reply="Eight.")) as server:
        asyncio.run(_collect(_chain("openai", _settings(server, openai_model="llama3.2", max_tokens=150))))
        body = server.config.requests[0]["body"]
    assert "reasoning_effort" not in body
    assert body["max_tokens"] == 150


def test_when_every_provider_fails_the_error_lists_each_reason() -> None:
    with fake_openai_server(FakeConfig(mode=Mode.HTTP_500)) as server:
        llm = _settings(server)
        chain = FallbackResponder([groq_responder(llm), openai_responder(llm)], first_token_timeout_s=5)
        with pytest.raises(ResponderError, match=r"groq: HTTP 500.*openai: HTTP 500"):
            asyncio.run(_collect(chain))


def test_the_factory_builds_the_configured_chain_and_rejects_unknown_names() -> None:
    chain = build_responder(Settings(llm=LlmSettings(providers=["groq", "openai", "offline"])))
    assert [r.name for r in chain.responders] == ["groq", "openai", "offline"]
    with pytest.raises(ValueError, match=r"Unknown LLM provider.*'gpt5'"):
        build_responder(Settings(llm=LlmSettings(providers=["gpt5"])))
