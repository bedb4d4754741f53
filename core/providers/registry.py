"""Every provider Earpiece knows, by the name used in `llm.providers` / `tts.providers`, with the
label a settings screen shows. The one list: the factories validate against it and bind each name
to a builder, the desktop lists it. Importing it loads no provider SDK or model runtime."""

from __future__ import annotations

from types import MappingProxyType

LLM_PROVIDERS = MappingProxyType({
    "groq": "Groq (online)",
    "openai": "OpenAI-compatible server",
    "offline": "Offline: answers from the knowledge base without a language model",
})

TTS_PROVIDERS = MappingProxyType({
    "edge": "edge-tts voices (online)",
    "piper": "Piper voice (offline, bundled)",
    "hibari": "hibari voice (offline, bundled)",
})


def unknown_names(names: list[str], known: MappingProxyType[str, str]) -> list[str]:
    """`names` not in `known`, in order, for a settings error that names them."""
    return [name for name in names if name not in known]
