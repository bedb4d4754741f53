"""Text-to-speech providers chosen by name from `settings.tts.providers`."""

from __future__ import annotations

from collections.abc import Callable

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.providers.health import PROVIDER_HEALTH
from earpiece.core.settings import TtsSettings
from earpiece.core.tts.edge import EdgeTextToSpeech
from earpiece.core.tts.fallback import FallbackTextToSpeech, TtsFailure
from earpiece.core.tts.piper import PiperTextToSpeech

PROVIDER_NAMES = ("edge", "piper")


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
    unknown = [name for name in settings.providers if name not in PROVIDER_NAMES]
    if unknown or not settings.providers:
        raise ValueError(
            f"tts.providers is {settings.providers!r}; use one or more of {', '.join(PROVIDER_NAMES)} "
            '(e.g. ["edge", "piper"])'
        )
    providers: list[TextToSpeech] = []
    keys: list[str] = []
    for name in dict.fromkeys(settings.providers):
        if name == "edge":
            providers.append(EdgeTextToSpeech(settings, endpoint=edge_endpoint))
            keys.append(f"tts edge {edge_endpoint or ''}".strip())
        else:
            providers.append(PiperTextToSpeech(settings))
            keys.append(f"tts piper {settings.piper_voice}".strip())
    return FallbackTextToSpeech(
        providers,
        cooldown_s=settings.provider_cooldown_s,
        on_failure=on_failure,
        health=PROVIDER_HEALTH,
        health_keys=keys,
    )
