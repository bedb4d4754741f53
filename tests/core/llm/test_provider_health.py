"""The chains built by the factory remember, process-wide, which provider is down: the next turn
(a new chain, as in a new call) skips it at once, and a background probe brings it back."""

from __future__ import annotations

import asyncio
import time

import pytest

from earpiece.core.interfaces import AnswerRequest, Passage
from earpiece.core.llm.factory import PROVIDERS, build_responder
from earpiece.core.llm.fallback import ResponseReport
from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.providers.registry import LLM_PROVIDERS, TTS_PROVIDERS
from earpiece.core.settings import LlmSettings, Settings
from earpiece.core.tts.providers import BUILDERS
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer, Mode, fake_openai_server

REQUEST = AnswerRequest("When does the office open?", [Passage("We open at 8 am.", "hours.md", score=0.8)])
FIRST_TOKEN_S = 1.5
REPLY = "We open at eight. Welcome!"


@pytest.fixture(autouse=True)
def groq_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EARPIECE_SECRET_GROQ", "gsk_test_key_0123456789abcdef")


def _settings(dead: FakeOpenAIServer, alive: FakeOpenAIServer, **llm: object) -> Settings:
    """groq on the `dead` server first, openai on the `alive` one as its fallback."""
    return Settings(llm=LlmSettings.model_validate({
        "providers": ["groq", "openai"],
        "groq_base_url": dead.groq_base_url,
        "openai_base_url": alive.openai_base_url,
        "first_token_timeout_s": FIRST_TOKEN_S,
        "stall_timeout_s": 5.0,
        "timeout_s": 10.0,
    } | llm))


async def _turn(settings: Settings) -> tuple[str, ResponseReport, float]:
    """One answer from a freshly built chain (each call builds its own)."""
    started = time.monotonic()
    stream = build_responder(settings).respond(REQUEST)
    text = "".join([chunk async for chunk in stream])
    return text, stream.report, time.monotonic() - started


def test_a_dead_provider_is_waited_for_once_then_skipped_by_the_next_chain() -> None:
    with fake_openai_server(FakeConfig(mode=Mode.STALL_FIRST)) as dead, \
            fake_openai_server(FakeConfig(reply=REPLY)) as alive:
        settings = _settings(dead, alive)

        async def two_turns() -> list[tuple[str, ResponseReport, float]]:
            return [await _turn(settings), await _turn(settings)]

        (text1, report1, first_s), (text2, report2, second_s) = asyncio.run(two_turns())
        dead_requests = len(dead.config.requests)
    assert text1 == text2 == REPLY
    assert first_s >= FIRST_TOKEN_S  # the first turn found out the hard way
    assert report1.attempts[0].outcome == "first_token_timeout"
    assert second_s < FIRST_TOKEN_S / 2  # the second did not wait for the dead provider
    skipped, served = report2.attempts
    assert (skipped.provider, skipped.outcome) == ("groq", "skipped")
    assert "no first token" in skipped.reason
    assert served.provider == "openai" and report2.served_by == "openai"
    assert dead_requests == 1


def test_after_the_cooldown_a_background_probe_brings_the_provider_back() -> None:
    with fake_openai_server(FakeConfig(mode=Mode.HTTP_500)) as dead, \
            fake_openai_server(FakeConfig(reply="The other one. Hello.")) as alive:
        settings = _settings(dead, alive, provider_cooldown_s=0.3)
        key = f"llm groq {dead.groq_base_url}"

        async def turns() -> list[ResponseReport]:
            reports = [(await _turn(settings))[1]]  # groq fails: marked down
            dead.config.reply = REPLY
            dead.config.mode = Mode.OK  # the service recovers
            reports.append((await _turn(settings))[1])  # within the cooldown: skipped, no probe
            assert len(dead.config.requests) == 1
            await asyncio.sleep(0.4)
            reports.append((await _turn(settings))[1])  # cooled down: skipped, probed meanwhile
            for _ in range(100):
                if PROVIDER_HEALTH.down_reason(key) is None:
                    break
                await asyncio.sleep(0.05)
            reports.append((await _turn(settings))[1])  # the probe succeeded: groq serves
            return reports

        reports = asyncio.run(turns())
        probes = len(dead.config.requests) - 2
    assert [r.served_by for r in reports] == ["openai", "openai", "openai", "groq"]
    assert [a.outcome for a in reports[2].attempts] == ["skipped", "served"]
    assert probes == 1


def test_a_failed_probe_keeps_the_provider_down() -> None:
    with fake_openai_server(FakeConfig(mode=Mode.HTTP_500)) as dead, \
            fake_openai_server(FakeConfig(reply=REPLY)) as alive:
        settings = _settings(dead, alive, provider_cooldown_s=0.2)
        key = f"llm groq {dead.groq_base_url}"

        async def turns() -> str | None:
            await _turn(settings)
            await asyncio.sleep(0.3)
            await _turn(settings)  # starts a probe, which fails again
            for _ in range(100):
                if len(dead.config.requests) == 2:
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.1)
            return PROVIDER_HEALTH.down_reason(key)

        reason = asyncio.run(turns())
    assert reason is not None and reason.startswith("probe failed") and "HTTP 500" in reason


def test_first_token_and_stall_timeouts_are_separate() -> None:
    """A provider that never starts is dropped after the first-token timeout, one that stalls in
    its first sentence after the (shorter) stall timeout."""
    reply = "We open at eight in the morning on weekdays."
    with fake_openai_server(FakeConfig(mode=Mode.STALL_MID, reply=reply, stall_after_chunks=1)) as stalls, \
            fake_openai_server(FakeConfig(mode=Mode.STALL_FIRST)) as silent, \
            fake_openai_server(FakeConfig(reply=REPLY)) as alive:
        mid = _settings(stalls, alive, first_token_timeout_s=4.0, stall_timeout_s=0.5)
        first = _settings(silent, alive, first_token_timeout_s=0.5, stall_timeout_s=4.0)
        _, mid_report, mid_s = asyncio.run(_turn(mid))
        _, first_report, first_s = asyncio.run(_turn(first))
    assert mid_report.attempts[0].outcome == "stalled" and "0.5 s" in mid_report.attempts[0].reason
    assert first_report.attempts[0].outcome == "first_token_timeout"
    assert "0.5 s" in first_report.attempts[0].reason
    assert mid_s < 2.5 and first_s < 2.5  # neither waited for the other, longer timeout


def test_every_registered_provider_has_a_builder_and_nothing_else_does() -> None:
    assert list(PROVIDERS) == list(LLM_PROVIDERS)
    assert list(BUILDERS) == list(TTS_PROVIDERS)


def test_a_first_token_timeout_longer_than_timeout_s_is_not_cut_short_by_the_sdk() -> None:
    config = FakeConfig(mode=Mode.SLOW_FIRST, first_token_delay_s=1.5, reply=REPLY)
    with fake_openai_server(config) as slow, fake_openai_server(FakeConfig(reply="Other.")) as alive:
        settings = _settings(slow, alive, timeout_s=0.5, first_token_timeout_s=4.0, stall_timeout_s=1.0)
        text, report, _ = asyncio.run(_turn(settings))
    assert report.served_by == "groq" and text == REPLY
