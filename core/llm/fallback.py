"""A responder made of responders: the first that produces text in time serves the answer.

It switches to the next provider on an error, on no first token within `first_token_timeout_s`,
on a stall, or on an empty answer. A provider's text is held back until its first sentence is
complete (speech starts per sentence anyway), so a provider that stalls mid-way through its first
sentence is still replaced. Once text has been handed on (and may already be speaking) it never
switches: a stall or error then just ends the answer, and the report says so.
Every `respond()` returns a `ResponseStream` whose `report` tells the metrics who served and why
the others did not.

A provider that failed is marked down in a `ProviderHealth` (the shipped factory passes the
process-wide one) and skipped, with no wait, until a background probe finds it answering again.
The last provider is always tried: it is the chain's answer of last resort.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import partial
from typing import Any

from earpiece.core.interfaces import AnswerRequest, Responder
from earpiece.core.llm.errors import ResponderError
from earpiece.core.providers.health import ProviderHealth


class Outcome(StrEnum):
    SERVED = "served"
    ERROR = "error"
    FIRST_TOKEN_TIMEOUT = "first_token_timeout"
    STALLED = "stalled"  # tokens stopped before the first sentence was complete
    EMPTY = "empty"
    SKIPPED = "skipped"  # not tried: marked down by an earlier failure, not yet probed back
    CUT_SHORT = "cut_short"  # error or stall after text was handed on: the answer ends early


@dataclass(slots=True)
class Attempt:
    provider: str
    outcome: Outcome
    reason: str = ""
    ttft_ms: float | None = None  # request -> first text from this provider


@dataclass(slots=True)
class ResponseReport:
    attempts: list[Attempt] = field(default_factory=list)
    served_by: str | None = None
    ttft_ms: float | None = None  # respond() -> serving provider's first token, switches included
    first_sentence_ms: float | None = None  # respond() -> first text handed on (a whole sentence)

    def attempt_dicts(self) -> list[dict[str, Any]]:
        return [
            {"provider": a.provider, "outcome": str(a.outcome), "reason": a.reason, "ttft_ms": a.ttft_ms}
            for a in self.attempts
        ]

    def as_dict(self) -> dict[str, Any]:
        return {
            "served_by": self.served_by,
            "ttft_ms": self.ttft_ms,
            "first_sentence_ms": self.first_sentence_ms,
            "attempts": self.attempt_dicts(),
        }


class ResponseStream(AsyncIterator[str]):
    """The text of one answer, plus the `report` that is complete once the stream is exhausted."""

    def __init__(self, gen: AsyncGenerator[str, None], report: ResponseReport) -> None:
        self._gen = gen
        self.report = report

    def __aiter__(self) -> ResponseStream:
        return self

    async def __anext__(self) -> str:
        return await self._gen.__anext__()

    async def aclose(self) -> None:
        await self._gen.aclose()


_SENTENCE_END = re.compile(r"[.!?;:](?:\s|$)")


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


async def _close(it: AsyncIterator[str]) -> None:
    aclose = getattr(it, "aclose", None)
    if aclose is not None:
        with contextlib.suppress(Exception):  # a broken provider must not break the chain
            await aclose()


class FallbackResponder:
    def __init__(
        self,
        responders: Sequence[Responder],
        *,
        first_token_timeout_s: float = 4.0,
        stall_timeout_s: float = 3.0,
        cooldown_s: float = 30.0,
        health: ProviderHealth | None = None,
        health_keys: Sequence[str] | None = None,
    ) -> None:
        """`health` remembers failures (a private memory if None); `health_keys` name each
        responder's service in it (default: its name), e.g. "groq http://host:port"."""
        if not responders:
            raise ValueError("a fallback chain needs at least one responder")
        self.responders = list(responders)
        self.name = "+".join(r.name for r in self.responders)
        self.first_token_timeout_s = first_token_timeout_s
        self.stall_timeout_s = stall_timeout_s
        self.cooldown_s = cooldown_s
        self.health = health or ProviderHealth()
        self.health_keys = list(health_keys or [r.name for r in self.responders])
        if len(self.health_keys) != len(self.responders):
            raise ValueError("give one health key per responder")

    def respond(self, request: AnswerRequest) -> ResponseStream:
        report = ResponseReport()
        return ResponseStream(self._run(request, report), report)

    async def _run(self, request: AnswerRequest, report: ResponseReport) -> AsyncGenerator[str, None]:
        chain_start = time.monotonic()
        last = len(self.responders) - 1
        for index, (responder, key) in enumerate(zip(self.responders, self.health_keys, strict=True)):
            down = self.health.down_reason(key)
            if down is not None and index < last:
                report.attempts.append(Attempt(responder.name, Outcome.SKIPPED, f"down: {down}"))
                self.health.probe_if_due(key, partial(self._probe, responder, request), self.cooldown_s)
                continue
            attempt = Attempt(responder.name, Outcome.SERVED)
            report.attempts.append(attempt)
            start = time.monotonic()
            deadline = start + self.first_token_timeout_s
            it = responder.respond(request).__aiter__()
            held = ""  # text not yet handed on: the first sentence in the making
            emitted = False
            try:
                while True:
                    got_text = emitted or bool(held)
                    timeout = self.stall_timeout_s if got_text else max(0.0, deadline - time.monotonic())
                    try:
                        chunk = await asyncio.wait_for(it.__anext__(), timeout)
                    except StopAsyncIteration:
                        break
                    except TimeoutError:
                        if emitted:
                            attempt.outcome = Outcome.CUT_SHORT
                            attempt.reason = f"stalled {self.stall_timeout_s:g} s after the answer started"
                        elif held:
                            attempt.outcome = Outcome.STALLED
                            attempt.reason = f"stalled {self.stall_timeout_s:g} s in the first sentence"
                        else:
                            attempt.outcome = Outcome.FIRST_TOKEN_TIMEOUT
                            attempt.reason = f"no first token within {self.first_token_timeout_s:g} s"
                        break
                    except Exception as exc:
                        attempt.outcome = Outcome.CUT_SHORT if emitted else Outcome.ERROR
                        attempt.reason = exc.reason if isinstance(exc, ResponderError) else repr(exc)
                        break
                    if not chunk:
                        continue
                    if attempt.ttft_ms is None:
                        attempt.ttft_ms = _ms(time.monotonic() - start)
                    if not emitted:
                        held += chunk
                        if not _SENTENCE_END.search(held):
                            continue
                        chunk, held = held, ""
                        self._commit(report, attempt, start - chain_start, chain_start)
                        emitted = True
                    yield chunk
                if held.strip() and attempt.outcome is Outcome.SERVED:
                    # The provider finished with a single unpunctuated sentence.
                    self._commit(report, attempt, start - chain_start, chain_start)
                    emitted = True
                    yield held
            finally:
                await _close(it)
            if emitted and attempt.outcome is Outcome.SERVED:
                self.health.mark_up(key)
            if attempt.outcome is Outcome.SERVED and not emitted:
                attempt.outcome = Outcome.EMPTY
                attempt.reason = "the provider returned no text"
            if attempt.outcome is not Outcome.SERVED:
                self.health.mark_down(key, attempt.reason, self.cooldown_s)
            if emitted:
                return
        reasons = "; ".join(f"{a.provider}: {a.reason}" for a in report.attempts)
        raise ResponderError(self.name, f"every provider failed ({reasons})")

    async def _probe(self, responder: Responder, request: AnswerRequest) -> None:
        """Succeeds when `responder` produces text within the first-token timeout (thrown away)."""
        it = responder.respond(request).__aiter__()
        try:
            async with asyncio.timeout(self.first_token_timeout_s):
                async for chunk in it:
                    if chunk:
                        return
        finally:
            await _close(it)
        raise ResponderError(responder.name, "the probe got no text")

    @staticmethod
    def _commit(report: ResponseReport, attempt: Attempt, offset_s: float, chain_start: float) -> None:
        report.served_by = attempt.provider
        report.ttft_ms = round(_ms(offset_s) + (attempt.ttft_ms or 0.0), 1)
        report.first_sentence_ms = _ms(time.monotonic() - chain_start)
