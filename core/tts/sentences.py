"""Sentence by sentence: the first sentence is voiced while the rest is still being produced.

`split_sentences` cuts finished text (pysbd knows "a.m.", "$12.50", "e.g." and e-mail dots);
`SentenceBuffer` cuts text that streams in from an LLM, releasing each sentence as soon as the
next one has begun; `speak_text` normalises and voices sentence after sentence.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable

import pysbd

from earpiece.core.interfaces import TextToSpeech
from earpiece.core.tts.normalize import normalize_for_speech, strip_markdown
from earpiece.core.tts.stream import Served, SpeechStream

_segmenter = pysbd.Segmenter(language="en", clean=False)
# pysbd ends a sentence after these; in answers they are nearly always mid-sentence ("Mon.-Fri.",
# "Dec. 25", "ext. 204", "No. 5"), and a fact cut in two is read wrong.
_NOT_AN_END = re.compile(
    r"\b(?:Mon|Tue|Tues|Wed|Thu|Thur|Thurs|Fri|Sat|Sun|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct"
    r"|Nov|Dec|ext|Ext|No|no|tel|Tel)\.\s*$"
)


def _pieces(text: str) -> list[str]:
    """pysbd's segments, with a cut inside a word ("help?id=3", "Mon.-Fri.") or after a weekday,
    month or "ext." undone; joined they give `text` back."""
    pieces: list[str] = []
    for segment in _segmenter.segment(text) if text.strip() else []:
        if pieces and (not pieces[-1][-1:].isspace() or _NOT_AN_END.search(pieces[-1])):
            pieces[-1] += segment
        else:
            pieces.append(segment)
    return pieces


def split_sentences(text: str) -> list[str]:
    """Markdown-free sentences of `text` (list items and lines become sentences)."""
    return [p.strip() for p in _pieces(strip_markdown(text)) if p.strip()]


class SentenceBuffer:
    """Feed streamed text; get back the sentences that are certainly complete.

    A sentence is complete when the next one has begun or its line has ended.
    """

    def __init__(self) -> None:
        self._text = ""

    def feed(self, delta: str) -> list[str]:
        *lines, self._text = (self._text + delta).split("\n")
        ready = [s for line in lines for s in split_sentences(line)]
        done = "".join(_pieces(self._text)[:-1])
        if done and self._text.startswith(done):
            ready += split_sentences(done)
            self._text = self._text[len(done) :]
        return ready

    def flush(self) -> list[str]:
        """The rest, when the stream has ended."""
        sentences, self._text = split_sentences(self._text), ""
        return sentences


async def speak_text(
    tts: TextToSpeech, text: str, on_voiced: Callable[[Served], None] | None = None
) -> AsyncIterator[bytes]:
    """Normalise and voice `text` one sentence at a time (16 kHz mono PCM16 chunks); `on_voiced`
    hears who voiced each sentence once it is voiced."""
    for sentence in split_sentences(text):
        spoken = normalize_for_speech(sentence)
        if spoken.strip(" .,!?;:"):
            stream = SpeechStream.of(tts, spoken)
            async for chunk in stream:
                yield chunk
            if on_voiced is not None:
                on_voiced(stream.served)
