"""Fixed phrases spoken at once: their audio is made at start and played from memory.

The greeting, "I don't know - shall I put you through?", the transfer, goodbye and "one moment"
are the same words on every call; synthesising them again costs the caller 100-300 ms of silence
each time. A `PhraseCache` holds their audio per sentence, keyed by the sentence as the session
hands it to the voice (split into sentences, normalised for speech), and is shared by every call
of the process. `CachedTextToSpeech` wraps a call's voice chain: a cached sentence is played
from memory, anything else goes to the chain. The audio is made by the chain given to `prepare`,
so it is the voice the calls speak with while that voice works.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.tts.normalize import normalize_for_speech
from earpiece.core.tts.sentences import split_sentences
from earpiece.core.tts.stream import Served, SpeechStream

ONE_MOMENT = "One moment, please."


def spoken_sentences(phrase: str) -> list[str]:
    """The texts a phrase reaches the voice as: its sentences, normalised for speech."""
    return [normalize_for_speech(sentence) for sentence in split_sentences(phrase)]


class PhraseCache:
    """The audio of fixed phrases, made once per process by `prepare`."""

    def __init__(self) -> None:
        self._audio: dict[str, tuple[bytes, ...]] = {}
        self.voice = ""  # the provider that made the audio

    async def prepare(self, tts: TextToSpeech, phrases: Iterable[str]) -> None:
        """Synthesise every sentence of `phrases` not cached yet (a voice failure is raised and
        leaves what was made before it)."""
        for phrase in phrases:
            for text in spoken_sentences(phrase):
                if text in self._audio:
                    continue
                stream = SpeechStream.of(tts, text)
                self._audio[text] = tuple([chunk async for chunk in stream])
                self.voice = stream.served.provider or tts.name

    def audio(self, text: str) -> tuple[bytes, ...] | None:
        return self._audio.get(text)


class CachedTextToSpeech:
    """A `TextToSpeech` that plays cached sentences from memory and passes the rest to `inner`.

    One per call, like the chain it wraps; `providers` reads as the chain's. A sentence's stream
    says who voiced it: the chain's provider, or the cache's voice with "(cached)" after it.
    """

    def __init__(self, inner: TextToSpeech, cache: PhraseCache) -> None:
        self._inner = inner
        self._cache = cache
        self.name = inner.name
        self.providers: tuple[TextToSpeech, ...] = tuple(getattr(inner, "providers", (inner,)))

    def synthesize(self, text: str) -> SpeechStream:
        audio = self._cache.audio(text)
        if audio is None:
            return SpeechStream.of(self._inner, text)
        return SpeechStream(_played(audio), Served(f"{self._cache.voice} (cached)"))


async def _played(audio: tuple[bytes, ...]) -> AsyncIterator[bytes]:
    for chunk in audio:
        yield chunk
