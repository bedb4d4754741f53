"""Sentence splitting for TTS, of finished text and of text streaming in from an LLM."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from earpiece.core.tts import FallbackTextToSpeech, SentenceBuffer, Served, speak_text, split_sentences

ANSWER = (
    "Sure! Our office opens at 9 a.m. on Monday. Refunds of $12.50 or more take 3.5 days, "
    "e.g. by card. Write to help@acme.com?\n- **Card**: 2 days\n- Cash"
)
EXPECTED = [
    "Sure!",
    "Our office opens at 9 a.m. on Monday.",
    "Refunds of $12.50 or more take 3.5 days, e.g. by card.",
    "Write to help@acme.com?",
    "Card: 2 days.",
    "Cash.",
]


def test_split_sentences_respects_abbreviations_amounts_and_addresses() -> None:
    assert split_sentences(ANSWER) == EXPECTED


def test_split_sentences_of_nothing() -> None:
    assert split_sentences("") == [] and split_sentences("  \n ") == []


def test_streamed_text_releases_each_sentence_once_complete() -> None:
    buffer = SentenceBuffer()
    released: list[tuple[int, str]] = []
    for i in range(0, len(ANSWER), 3):  # three characters at a time, like LLM tokens
        released += [(i + 3, s) for s in buffer.feed(ANSWER[i : i + 3])]
    rest = buffer.flush()
    got = [s.rstrip(".") for _, s in released] + [s.rstrip(".") for s in rest]
    assert got == [s.rstrip(".") for s in EXPECTED]
    # the first sentence is out long before the answer is complete
    assert released[0][1] == "Sure!" and released[0][0] <= 12


class RecordingTts:
    """Records what it was asked to say; yields one chunk per sentence."""

    name = "recording"

    def __init__(self) -> None:
        self.sentences: list[str] = []

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        self.sentences.append(text)
        yield text.encode()


def test_speak_text_normalises_each_sentence_and_skips_empty_ones() -> None:
    tts = RecordingTts()

    async def collect() -> list[bytes]:
        return [c async for c in speak_text(tts, "Call 555-123-4567. 👍 { }\nSee acme.com/x. Thanks!")]

    chunks = asyncio.run(collect())
    assert tts.sentences == [
        "Call five five, five, one two three, four five six seven.",
        "See acme dot com slash x.",
        "Thanks!",
    ]
    assert len(chunks) == 3


class RefusingTts:
    name = "refusing"

    async def synthesize(self, text: str) -> AsyncIterator[bytes]:
        raise RuntimeError("the service refused")
        yield b""  # an async generator


def test_speak_text_tells_who_voiced_each_sentence() -> None:
    voiced: list[Served] = []
    chain = FallbackTextToSpeech([RefusingTts(), RecordingTts()])

    async def collect() -> list[bytes]:
        return [c async for c in speak_text(chain, "One. Two.", on_voiced=voiced.append)]

    assert len(asyncio.run(collect())) == 2
    assert [s.provider for s in voiced] == ["recording", "recording"]
    refused, skipped = (f for s in voiced for f in s.failures)
    assert "the service refused" in refused.reason and not refused.skipped and skipped.skipped


def test_facts_are_not_cut_at_abbreviations_or_inside_addresses() -> None:
    assert split_sentences("Open Mon.–Fri. 9–5. Closed Dec. 25. Call ext. 204 now.") == [
        "Open Mon.–Fri. 9–5.",
        "Closed Dec. 25.",
        "Call ext. 204 now.",
    ]
    assert split_sentences("See https://acme.com/help?id=3. Thanks.") == [
        "See https://acme.com/help?id=3.",
        "Thanks.",
    ]


def test_streamed_facts_are_not_cut_before_the_rest_arrives() -> None:
    text = "Open Mon.–Fri. 9–5. Closed Dec. 25. See https://acme.com/help?id=3. Call ext. 204 now. Bye"
    buffer = SentenceBuffer()
    released = [s for i in range(0, len(text), 3) for s in buffer.feed(text[i : i + 3])]
    assert released + buffer.flush() == split_sentences(text)
