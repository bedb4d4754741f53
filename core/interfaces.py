"""The seams between the voice engine's stages: each provider implements one of these.

Small on purpose: a stage is swappable per provider (faster-whisper, Piper, edge-tts, Groq, an
OpenAI-compatible server, the offline responder, the Chroma retriever) and each has a fake in the
tests. Fallback adapters implement the same protocols, so fallback composes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # the selector's result type; answers imports this module, so only for the checker
    from earpiece.core.answers.selector import Selection


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    audio_s: float = 0.0


class UnitKind(StrEnum):
    """What an answer unit is; the responder reads each kind differently."""

    TEXT = "text"  # a paragraph or sentence run
    SECTION = "section"  # a short section under its heading
    FAQ = "faq"  # heading: the FAQ's question; text: its answer
    ROW = "row"  # heading: table caption or section; text: "Header: value; Header: value"
    LIST = "list"  # heading: the list's lead-in (and section); text: one item


@dataclass(frozen=True, slots=True)
class Passage:
    """A retrieved answer unit. `score` is a similarity in [0, 1], higher is better.

    `heading` is the unit's context (section title, FAQ question, table caption, list lead-in) and
    `text` its own content, so `f"{heading}. {text}"` reads as one statement.
    """

    text: str
    source: str
    title: str = ""
    score: float = 0.0
    chunk_id: str = ""
    heading: str = ""
    kind: UnitKind = UnitKind.TEXT


@dataclass(frozen=True, slots=True)
class ChatTurn:
    role: str  # "caller" | "assistant" | "agent"
    text: str


@dataclass(frozen=True, slots=True)
class AnswerRequest:
    """`selection` is the one the `Answerer` made for this question and these passages (with the
    knowledge base's names and page words): the offline responder speaks from it rather than
    selecting a second time, so one turn has one confidence. None: the responder selects."""

    question: str
    passages: Sequence[Passage]
    history: Sequence[ChatTurn] = field(default_factory=tuple)
    selection: Selection | None = None


class SpeechToText(Protocol):
    name: str

    async def transcribe(self, pcm16k: bytes, *, hotwords: str | None = None) -> Transcript:
        """Transcribe 16 kHz mono PCM16."""
        ...


class TextToSpeech(Protocol):
    name: str

    def synthesize(self, text: str) -> AsyncIterator[bytes]:
        """Yield 16 kHz mono PCM16 chunks for one sentence, the first as early as possible."""
        ...


class Responder(Protocol):
    name: str

    def respond(self, request: AnswerRequest) -> AsyncIterator[str]:
        """Yield the answer's text as it is produced."""
        ...


class Retriever(Protocol):
    async def search(self, query: str, k: int) -> list[Passage]:
        """Top-k passages, best first."""
        ...

    def vocabulary(self) -> list[str]:
        """Domain words of the knowledge base, to bias the recogniser."""
        ...

    def document_words(self, source: str) -> frozenset[str]:
        """Every word of the document `source` (a `Passage.source`), lower-cased: a name the caller
        said can be on a retrieved document's page though no retrieved unit holds it. Empty for a
        retriever that cannot tell."""
        ...

    async def coded(self, query: str) -> list[Passage]:
        """The units holding a code the query names ("error code E4"), best first: a search by
        meaning does not tell codes apart. Empty for a retriever that cannot tell."""
        ...
