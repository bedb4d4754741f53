"""Text-to-speech providers chosen by name from `settings.tts.providers`."""

from __future__ import annotations

from collections.abc import Callable

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.providers.registry import TTS_PROVIDERS, unknown_names
from earpiece.core.settings import TtsSettings
from earpiece.core.tts.edge import EdgeTextToSpeech
from earpiece.core.tts.fallback import FallbackTextToSpeech, TtsFailure
from earpiece.core.tts.hibari import HibariTextToSpeech
from earpiece.core.tts.piper import PiperTextToSpeech

PROVIDER_NAMES = tuple(TTS_PROVIDERS)

# How each name of `TTS_PROVIDERS` is built, with its key in the health memory (a test keeps the
# two in step); the second argument is the edge-tts endpoint override.
BUILDERS: dict[str, Callable[[TtsSettings, str | None], tuple[TextToSpeech, str]]] = {
    "edge": lambda s, url: (EdgeTextToSpeech(s, endpoint=url), f"tts edge {url or ''}".strip()),
    "piper": lambda s, _: (PiperTextToSpeech(s), f"tts piper {s.piper_voice}".strip()),
    "hibari": lambda s, _: (HibariTextToSpeech(s), f"tts hibari {s.hibari_voice}"),
}


def build_text_to_speech(
    settings: TtsSettings,
    *,
    edge_endpoint: str | None = None,
    on_failure: Callable[[TtsFailure], None] | None = None,
) -> FallbackTextToSpeech:
    """The providers of `settings.providers`, in order, behind one fallback chain.

    `edge_endpoint` redirects edge-tts to another server (see `EdgeTextToSpeech`); `on_failure`
    hears of every provider failure (for logs and metrics). Failures are remembered process-wide,
    so a provider that failed in one call is skipped in the next (see `FallbackTextToSpeech`).
    """
    unknown = unknown_names(settings.providers, TTS_PROVIDERS)
    if unknown or not settings.providers:
        raise ValueError(
            f"tts.providers is {settings.providers!r}; use one or more of {', '.join(PROVIDER_NAMES)} "
            '(e.g. ["edge", "piper"])'
        )
    built = [BUILDERS[name](settings, edge_endpoint) for name in dict.fromkeys(settings.providers)]
    providers, keys = [provider for provider, _ in built], [key for _, key in built]
    return FallbackTextToSpeech(
        providers,
        cooldown_s=settings.provider_cooldown_s,
        on_failure=on_failure,
        health=PROVIDER_HEALTH,
        health_keys=keys,
    )
