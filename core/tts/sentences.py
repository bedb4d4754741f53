"""Sentence by sentence: the first sentence is voiced while the rest is still being produced.

`split_sentences` cuts finished text (pysbd knows "a.m.", "$12.50", "e.g." and e-mail dots);
`SentenceBuffer` cuts text that streams in from an LLM, releasing each sentence as soon as the
next one has begun; `speak_text` normalises and voices sentence after sentence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pysbd

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.tts.normalize import normalize_for_speech, strip_markdown

_segmenter = pysbd.Segmenter(language="en", clean=False)


def split_sentences(text: str) -> list[str]:
    """Markdown-free sentences of `text` (list items and lines become sentences)."""
    plain = strip_markdown(text)
    return [s.strip() for s in _segmenter.segment(plain) if s.strip()] if plain.strip() else []


class SentenceBuffer:
    """Feed streamed text; get back the sentences that are certainly complete.

    A sentence is complete when the next one has begun or its line has ended.
    """

    def __init__(self) -> None:
        self._text = ""

    def feed(self, delta: str) -> list[str]:
        *lines, self._text = (self._text + delta).split("\n")
        ready = [s for line in lines for s in split_sentences(line)]
        segments = _segmenter.segment(self._text)
        done = "".join(segments[:-1])
        if done and self._text.startswith(done):
            ready += split_sentences(done)
            self._text = self._text[len(done) :]
        return ready

    def flush(self) -> list[str]:
        """The rest, when the stream has ended."""
        sentences, self._text = split_sentences(self._text), ""
        return sentences


async def speak_text(tts: TextToSpeech, text: str) -> AsyncIterator[bytes]:
    """Normalise and voice `text` one sentence at a time (16 kHz mono PCM16 chunks)."""
    for sentence in split_sentences(text):
        spoken = normalize_for_speech(sentence)
        if spoken.strip(" .,!?;:"):
            async for chunk in tts.synthesize(spoken):
                yield chunk
