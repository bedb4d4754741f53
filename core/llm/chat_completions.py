"""Responders for chat-completions APIs: Groq (official `groq` SDK) and any OpenAI-compatible server
(Ollama, llama.cpp server, vLLM) through the `openai` SDK. Both stream; the two SDKs share the
request and chunk shapes, so one class drives either client.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import aclosing
from typing import Any

from earpiece.core.interfaces import AnswerRequest
from earpiece.core.llm.errors import ResponderError
from earpiece.core.llm.prompt import build_prompt
from earpiece.core.secrets import SecretMissingError, SecretStoreUnavailableError, get_secret
from earpiece.core.settings import LlmSettings

log = logging.getLogger(__name__)

# gpt-oss models think before they answer; the reasoning tokens count against max_tokens.
REASONING_HEADROOM_TOKENS = 1024


def is_reasoning_model(model: str) -> bool:
    return "gpt-oss" in model.lower()


class ChatCompletionsResponder:
    """Streams an answer from a chat-completions endpoint. Any failure becomes a `ResponderError`.

    The SDK client is made on first use, so a missing API key is a per-call error that a fallback
    chain can record and route around, not a start-up crash.
    """

    def __init__(
        self,
        name: str,
        make_client: Callable[[], Any],
        model: str,
        *,
        max_tokens: int = 300,
        temperature: float = 0.2,
    ) -> None:
        self.name = name
        self.model = model
        self._make_client = make_client
        self._client: Any = None
        self._max_tokens = max_tokens
        self._temperature = temperature

    def _request_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"max_tokens": self._max_tokens, "temperature": self._temperature}
        if is_reasoning_model(self.model):
            options["reasoning_effort"] = "low"
            options["max_tokens"] = self._max_tokens + REASONING_HEADROOM_TOKENS
        return options

    async def respond(self, request: AnswerRequest) -> AsyncIterator[str]:
        async with aclosing(self.stream(build_prompt(request).messages)) as stream:
            async for text in stream:
                yield text

    async def complete(self, messages: list[dict[str, str]]) -> str:
        """The whole reply to `messages`, for work no caller waits on (such as call summaries)."""
        async with aclosing(self.stream(messages)) as stream:
            return "".join([text async for text in stream])

    async def stream(self, messages: list[dict[str, str]]) -> AsyncGenerator[str, None]:
        """The reply to `messages`, piece by piece."""
        try:
            if self._client is None:
                self._client = self._make_client()
            stream = await self._client.chat.completions.create(
                model=self.model, messages=messages, stream=True, **self._request_options()
            )
        except ResponderError:
            raise
        except Exception as exc:
            raise ResponderError(self.name, describe_error(exc, self.model)) from exc
        try:
            async for chunk in stream:
                if not chunk.choices:
                    continue
                text = chunk.choices[0].delta.content
                if text:
                    yield text
        except Exception as exc:
            raise ResponderError(self.name, describe_error(exc, self.model)) from exc
        finally:
            await stream.close()


def describe_error(exc: BaseException, model: str) -> str:
    """A one-line reason for the metrics and the log, with the hint an admin needs."""
    status = getattr(exc, "status_code", None)
    if status == 404:
        return f"HTTP 404 for model {model!r}: the model is unknown or retired; change it in settings"
    if status in (401, 403):
        return f"HTTP {status}: the API key was rejected"
    if status == 429:
        return "HTTP 429: rate limited"
    if status is not None:
        return f"HTTP {status}: {type(exc).__name__}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"


def client_timeout_s(llm: LlmSettings) -> float:
    """The SDK's own timeout: never shorter than the chain's first-token or stall timeout, which
    decide when a provider is given up (the SDK giving up first would cut them short)."""
    return max(llm.timeout_s, llm.first_token_timeout_s or 0.0, llm.stall_timeout_s or 0.0)


def _optional_key(name: str) -> str:
    """Local OpenAI-compatible servers usually need no key, but the SDK wants a non-empty one."""
    try:
        return get_secret(name)
    except (SecretMissingError, SecretStoreUnavailableError):
        return "not-needed"


def _required_key(name: str, provider: str) -> str:
    try:
        return get_secret(name)
    except (SecretMissingError, SecretStoreUnavailableError) as exc:
        raise ResponderError(provider, f"no API key: {exc}") from exc


def groq_responder(llm: LlmSettings) -> ChatCompletionsResponder:
    from groq import AsyncGroq  # imported now, not inside a caller's timed first request

    def make_client() -> Any:
        return AsyncGroq(
            api_key=_required_key("groq", "groq"),
            base_url=llm.groq_base_url or None,
            timeout=client_timeout_s(llm),
            max_retries=0,  # the fallback chain is the retry: a caller is waiting
        )

    return ChatCompletionsResponder(
        "groq", make_client, llm.groq_model, max_tokens=llm.max_tokens, temperature=llm.temperature
    )


def openai_responder(llm: LlmSettings) -> ChatCompletionsResponder:
    from openai import AsyncOpenAI  # imported now, not inside a caller's timed first request

    def make_client() -> Any:
        return AsyncOpenAI(
            api_key=_optional_key("openai"),
            base_url=llm.openai_base_url,
            timeout=client_timeout_s(llm),
            max_retries=0,
        )

    return ChatCompletionsResponder(
        "openai", make_client, llm.openai_model, max_tokens=llm.max_tokens, temperature=llm.temperature
    )
