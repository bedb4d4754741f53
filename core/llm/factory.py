"""Builds the responder chain named in `settings.llm.providers` (e.g. ["groq", "offline"])."""

from __future__ import annotations

from collections.abc import Callable

from earpiece.core.interfaces import Responder
from earpiece.core.llm.chat_completions import groq_responder, openai_responder
from earpiece.core.llm.fallback import FallbackResponder
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.providers.registry import LLM_PROVIDERS, unknown_names
from earpiece.core.settings import Settings

# How each name of `LLM_PROVIDERS` is built (a test keeps the two in step).
PROVIDERS: dict[str, Callable[[Settings], Responder]] = {
    "groq": lambda s: groq_responder(s.llm),
    "openai": lambda s: openai_responder(s.llm),
    "offline": lambda s: OfflineResponder(min_score=s.knowledge.min_score),
}


def build_responder(settings: Settings) -> FallbackResponder:
    """Always a `FallbackResponder` (even for one provider), so every answer carries a report.
    Its down-provider memory is the process-wide one: a provider that failed in one call is
    skipped in the next."""
    names = settings.llm.providers or ["offline"]
    unknown = unknown_names(names, LLM_PROVIDERS)
    if unknown:
        raise ValueError(
            f"Unknown LLM provider(s) {', '.join(map(repr, unknown))} in `llm.providers`; "
            f"choose from {', '.join(LLM_PROVIDERS)}."
        )
    llm = settings.llm
    endpoints = {"groq": llm.groq_base_url, "openai": llm.openai_base_url}
    return FallbackResponder(
        [PROVIDERS[n](settings) for n in names],
        first_token_timeout_s=llm.first_token_timeout_s or llm.timeout_s,
        stall_timeout_s=llm.stall_timeout_s or llm.timeout_s,
        cooldown_s=llm.provider_cooldown_s,
        health=PROVIDER_HEALTH,
        health_keys=[f"llm {n} {endpoints.get(n, '')}".strip() for n in names],
    )
