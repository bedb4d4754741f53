"""One sentence's audio as a voice hands it over, with who voiced it: a `SpeechStream`.

A fallback chain (`FallbackTextToSpeech`) returns a `SpeechStream` and fills in its `served` as it
goes: the provider whose audio it is (set with the first chunk) and what failed or was skipped
before it. `SpeechStream.of` gives the same view of any `TextToSpeech`: the stream of a voice that
does not say who served is that voice's own. The session's turn figures (the latency panel) and the
call record read the provider from the stream they played, never from the voice object.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass

from earpiece.core.interfaces import TextToSpeech


@dataclass(frozen=True, slots=True)
class TtsFailure:
    provider: str
    reason: str  # "EdgeTtsError: edge-tts sent nothing for 5 s", or why it was skipped
    after_audio: bool = False  # True: audio had started, so nothing was switched
    skipped: bool = False  # True: not tried, still cooling down from an earlier failure


@dataclass(slots=True)
class Served:
    """Who voiced a sentence: filled in while its stream is read."""

    provider: str | None = None  # None until the first chunk (and when every provider failed)
    failures: tuple[TtsFailure, ...] = ()  # what failed or was skipped before it, in order


class SpeechStream:
    """16 kHz mono PCM16 chunks of one sentence, and `served`: who voiced them."""

    def __init__(self, chunks: AsyncIterator[bytes], served: Served) -> None:
        self._chunks = chunks
        self.served = served

    @classmethod
    def of(cls, tts: TextToSpeech, text: str) -> SpeechStream:
        """`tts` voicing `text`; a voice whose stream does not say who served is its own provider."""
        audio = tts.synthesize(text)
        return audio if isinstance(audio, SpeechStream) else cls(audio, Served(tts.name))

    def __aiter__(self) -> SpeechStream:
        return self

    async def __anext__(self) -> bytes:
        return await anext(self._chunks)

    async def aclose(self) -> None:
        """Stop the voice (the sentence is not wanted any more)."""
        if isinstance(self._chunks, AsyncGenerator | SpeechStream):
            await self._chunks.aclose()
