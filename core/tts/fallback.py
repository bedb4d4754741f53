"""A chain of text-to-speech providers that is itself a `TextToSpeech`.

For each sentence the providers are tried in order. A provider that fails before its first audio
chunk is replaced by the next one, and the reason is recorded. Once a provider has produced audio
for a sentence it is never swapped mid-sentence (the caller would hear the start twice): its
failure is raised as `TextToSpeechError`. A provider that failed is marked down in a
`ProviderHealth` (the shipped factory passes the process-wide one, so the memory outlives the
call) and skipped until a background probe, started once `cooldown_s` has passed, voices a
sentence again: a dead service costs one timeout, not one per sentence or per call. The last
provider is always tried. Which provider voiced a sentence, and what failed before it, travels with
the sentence's stream (`SpeechStream.served`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from functools import partial

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.providers.health import ProviderHealth
from earpiece.core.tts.stream import Served, SpeechStream, TtsFailure

__all__ = ["FallbackTextToSpeech", "TextToSpeechError", "TtsFailure"]


class TextToSpeechError(RuntimeError):
    pass


class FallbackTextToSpeech:
    """Try `providers` in order, per sentence. `synthesize` returns a `SpeechStream` that says
    which provider voiced the sentence and what failed before it."""

    def __init__(
        self,
        providers: Sequence[TextToSpeech],
        *,
        cooldown_s: float = 30.0,
        on_failure: Callable[[TtsFailure], None] | None = None,
        health: ProviderHealth | None = None,
        health_keys: Sequence[str] | None = None,
    ) -> None:
        """`health` remembers failures (a private memory if None); `health_keys` name each
        provider's service in it (default: its name), e.g. "tts edge ws://host:port"."""
        if not providers:
            raise ValueError("FallbackTextToSpeech needs at least one provider")
        self.providers = tuple(providers)
        self.name = "+".join(p.name for p in self.providers)
        self._cooldown_s = cooldown_s
        self._on_failure = on_failure
        self._health = health or ProviderHealth()
        self._keys = tuple(health_keys or [p.name for p in self.providers])
        if len(self._keys) != len(self.providers):
            raise ValueError("give one health key per provider")

    def synthesize(self, text: str) -> SpeechStream:
        served = Served()
        return SpeechStream(self._voice(text, served), served)

    async def _voice(self, text: str, served: Served) -> AsyncIterator[bytes]:
        failures: list[TtsFailure] = []
        for index, (provider, key) in enumerate(zip(self.providers, self._keys, strict=True)):
            is_last = index == len(self.providers) - 1
            down = self._health.down_reason(key)
            if down is not None and not is_last:
                failures.append(TtsFailure(provider.name, f"failed recently: {down}", skipped=True))
                self._health.probe_if_due(key, partial(_first_audio, provider, text), self._cooldown_s)
                continue
            started = False
            try:
                async for chunk in provider.synthesize(text):
                    if not started:
                        started = True
                        served.provider, served.failures = provider.name, tuple(failures)
                    yield chunk
            except Exception as exc:  # any provider failure is a reason to fall back
                reason = f"{type(exc).__name__}: {exc}"
                self._health.mark_down(key, reason, self._cooldown_s)
                failure = TtsFailure(provider.name, reason, after_audio=started)
                failures.append(failure)
                served.failures = tuple(failures)
                if self._on_failure:
                    self._on_failure(failure)
                if started:
                    raise TextToSpeechError(
                        f"{provider.name} failed after its audio had started; not switching "
                        f"mid-sentence: {reason}"
                    ) from exc
                continue
            self._health.mark_up(key)
            served.provider, served.failures = provider.name, tuple(failures)
            return
        reasons = "; ".join(f"{f.provider}: {f.reason}" for f in failures)
        raise TextToSpeechError(f"every text-to-speech provider failed: {reasons}")


async def _first_audio(provider: TextToSpeech, text: str) -> None:
    """A probe: succeeds when `provider` voices `text` (the audio is thrown away)."""
    async for chunk in provider.synthesize(text):
        if chunk:
            return
    raise TextToSpeechError(f"{provider.name} produced no audio")
