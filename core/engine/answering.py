"""From a question to guarded answer sentences: pre-check, retrieval, responder, output check.

Shared by the call session (which speaks the sentences) and `earpiece ask` (which prints them).
The `Answer` record is filled in as the sentences stream, for the metrics and the caller's report.
"""

from __future__ import annotations

import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field

from earpiece.core.interfaces import AnswerRequest, ChatTurn, Passage, Responder, Retriever
from earpiece.core.llm.errors import ResponderError
from earpiece.core.llm.fallback import ResponseReport, ResponseStream
from earpiece.core.llm.guard import NOT_FOUND_REPLY, Intent, OutputGuard, precheck
from earpiece.core.llm.prompt import SYSTEM_PROMPT
from earpiece.core.tts.sentences import SentenceBuffer

FOLLOW_UP_MAX_WORDS = 6
GUARD_PROVIDER = "guard"  # fixed replies: no model was asked
SORRY_REPLY = "I'm sorry, I'm having trouble answering right now. Would you like to talk to a person?"


@dataclass(slots=True)
class Retrieval:
    query: str
    passages: list[Passage]
    ms: float


@dataclass(slots=True)
class Answer:
    question: str
    intent: Intent = Intent.QUESTION
    retrieval: Retrieval | None = None
    sentences: list[str] = field(default_factory=list)
    provider: str = ""
    report: ResponseReport | None = None
    llm_ttft_ms: float | None = None
    guard_reason: str = ""
    error: str = ""  # every responder failed; the reply is an apology

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class Answerer:
    def __init__(
        self, responder: Responder, retriever: Retriever | None, *, top_k: int = 3, min_score: float = 0.35
    ) -> None:
        self.responder = responder
        self.retriever = retriever
        self.top_k = top_k
        self.min_score = min_score

    async def retrieve(self, query: str, history: Sequence[ChatTurn] = ()) -> Retrieval:
        """Passages at or above `min_score`, best first. A short follow-up ("and on Sundays?") that
        finds nothing alone is tried again together with the caller's previous question."""
        start = time.monotonic()
        passages = await self._search(query)
        if not passages and len(query.split()) <= FOLLOW_UP_MAX_WORDS:
            previous = next((t.text for t in reversed(history) if t.role == "caller"), "")
            if previous:
                passages = await self._search(f"{previous} {query}")
        return Retrieval(query, passages, round((time.monotonic() - start) * 1000, 1))

    async def _search(self, query: str) -> list[Passage]:
        if self.retriever is None:
            return []
        found = await self.retriever.search(query, self.top_k)
        return [p for p in found if p.score >= self.min_score]

    async def stream(
        self,
        answer: Answer,
        history: Sequence[ChatTurn] = (),
        *,
        retrieval: Retrieval | None = None,
    ) -> AsyncGenerator[str, None]:
        """Yield the answer's sentences, ready to speak, filling `answer` on the way.

        `retrieval` may be done early (on an early transcript of the same words) and passed in.
        """
        check = precheck(answer.question)
        answer.intent = check.intent
        if check.reply is not None:
            answer.provider = GUARD_PROVIDER
            answer.sentences.append(check.reply)
            yield check.reply
            return
        answer.retrieval = retrieval or await self.retrieve(answer.question, history)
        if not answer.retrieval.passages:
            # Nothing relevant: never let a model improvise an answer.
            answer.provider = GUARD_PROVIDER
            answer.sentences.append(NOT_FOUND_REPLY)
            yield NOT_FOUND_REPLY
            return
        request = AnswerRequest(answer.question, answer.retrieval.passages, tuple(history))
        started = time.monotonic()
        stream = self.responder.respond(request)
        if isinstance(stream, ResponseStream):
            answer.report = stream.report
        guard = OutputGuard(instructions=SYSTEM_PROMPT)
        first = True
        try:
            async for sentence in _sentences(stream, answer, started):
                checked = guard.check(sentence)
                if checked is None:
                    break
                answer.sentences.append(checked)
                if first:
                    first = False
                    served_by = answer.report.served_by if answer.report else None
                    answer.provider = served_by or self.responder.name
                yield checked
                if guard.leaked:
                    break
        except ResponderError as exc:
            answer.error = exc.reason
            if first:
                answer.provider = GUARD_PROVIDER
                answer.sentences.append(SORRY_REPLY)
                yield SORRY_REPLY
        finally:
            answer.guard_reason = guard.reason
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()


async def _sentences(stream: AsyncIterator[str], answer: Answer, started: float) -> AsyncIterator[str]:
    """Whole sentences of the streamed text, noting the time to the first token on the way."""
    buffer = SentenceBuffer()
    async for chunk in stream:
        if answer.llm_ttft_ms is None:
            ttft = answer.report.ttft_ms if answer.report else None
            answer.llm_ttft_ms = ttft if ttft is not None else round((time.monotonic() - started) * 1000, 1)
        for sentence in buffer.feed(chunk):
            yield sentence
    for sentence in buffer.flush():
        yield sentence
