"""From a question to guarded answer sentences: pre-check, retrieval (follow-ups made whole),
selection with a confidence, responder, fact check and output check.

Shared by the call session (which speaks the sentences) and `earpiece ask` (which prints them).
The `Answer` record is filled in as the sentences stream, for the metrics and the caller's report.

Precision first: below the model's confidence floor no responder is asked and the caller hears
"I don't know" with the offer of a person; a model's sentence that states a figure found in no
retrieved passage is dropped, and if nothing is left, or the model says the knowledge base does not
hold the answer, the turn falls back to the extractive answer (when the selector is confident) or
to "I don't know".
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass, field, replace

from earpiece.core.answers.evidence import AnswerType, has_evidence
from earpiece.core.answers.lead_in import without_lead_in
from earpiece.core.answers.question import FOLLOW_UP_MAX_WORDS, analyse, question_clause, resolve_follow_up
from earpiece.core.answers.selector import (
    STRICT_TYPES,
    DocumentWords,
    Scored,
    Selection,
    Selector,
    eligible,
    has_answer_shape,
    shared_selector,
)
from earpiece.core.answers.units import candidates
from earpiece.core.interfaces import AnswerRequest, ChatTurn, Passage, Responder, Retriever
from earpiece.core.knowledge.codes import joined_codes
from earpiece.core.knowledge.errors import KnowledgeError
from earpiece.core.llm.errors import ResponderError
from earpiece.core.llm.factcheck import FactChecker
from earpiece.core.llm.fallback import ResponseReport, ResponseStream
from earpiece.core.llm.guard import NOT_FOUND_REPLY, Intent, OutputGuard, precheck
from earpiece.core.llm.prompt import SYSTEM_PROMPT
from earpiece.core.tts.sentences import SentenceBuffer

log = logging.getLogger(__name__)

GUARD_PROVIDER = "guard"  # fixed replies: no model was asked
# Answer units (an FAQ, a row, a list item) are small: the selector weighs at least this many, whatever
# `top_k` says (measured on the dev split: the right unit is among the first 6 for 48 of 64
# answerable questions, among the first 3 for 43).
MIN_UNITS = 6
# A question asking for a kind of fact that can be checked (a price, a phone number, an e-mail...)
# looks this deep for units that hold one, and adds at most TYPED_EXTRA of them to the first ones: the
# sentence with the number is often less like the question than its neighbours are.
DEEP_UNITS = 20
TYPED_EXTRA = 4
# A question after the caller's story ("my dad passed away last month, he was a veteran. how much
# does the VA give toward burying him?") is searched alone as well when it has this many words; a
# shorter one ("how much is it?") says too little alone. Dev, nine organisations, left out: 0.970 /
# 0.524 precision / coverage with it, 0.955 / 0.508 without.
CLAUSE_MIN_WORDS = 5
CODED_UNITS = 2  # units holding a code the caller named, added below `min_score` (see `codes`)
FOLLOW_UP_CHAIN = 6  # history turns (three exchanges) a follow-up may lean on
OFF_TYPE_MAX = 2  # model sentences held back waiting for the kind of fact asked for
EXTRACTIVE_PROVIDER = "extractive"  # the model gave nothing to speak: the selector's answer
_NOT_FOUND = re.compile(
    r"\b(?:don't|do not|dont)\s+have\s+(?:that|this|any|the|enough)\s+information\b|"
    r"\bnot\s+in\s+(?:the|my|our)\s+knowledge\s+base\b",
    re.IGNORECASE,
)
SORRY_REPLY = "I'm sorry, I'm having trouble answering right now. Would you like to talk to a person?"


@dataclass(slots=True)
class Retrieval:
    query: str
    passages: list[Passage]
    ms: float
    error: str = ""  # the knowledge base could not be searched (e.g. its index server is down)
    kb_terms: tuple[str, ...] = ()  # the knowledge base's distinctive words (names it holds)
    # Every word of each retrieved document's page, by source (names a page holds outside the units
    # retrieved); empty for a retriever that cannot tell.
    document_words: DocumentWords = field(default_factory=dict)


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
    selection: Selection | None = None
    confidence: float = 0.0  # the selector's confidence in its best candidate, in [0, 1]
    declined: bool = False  # the reply is "I don't have that information" (and the offer of a person)
    dropped: list[str] = field(default_factory=list)  # model sentences with invented figures

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


class Answerer:
    def __init__(
        self,
        responder: Responder,
        retriever: Retriever | None,
        *,
        top_k: int = 3,
        min_score: float = 0.35,
        selector: Selector | None = None,
    ) -> None:
        self.responder = responder
        self.retriever = retriever
        self.top_k = max(top_k, MIN_UNITS)
        self.min_score = min_score
        self._selector = selector

    @property
    def selector(self) -> Selector:
        return self._selector or shared_selector()

    async def retrieve(self, query: str, history: Sequence[ChatTurn] = ()) -> Retrieval:
        """Passages at or above `min_score`, best first. A short follow-up ("and on Saturdays?",
        "how much is it?") is made whole with the caller's previous question first; any other short
        question that finds nothing alone is tried again together with it.
        `Retrieval.query` is the question as searched (and answered), without the pleasantries
        before it ("sorry to interrupt, ..."). The previous question is itself made whole first, so
        a follow-up of a follow-up keeps the topic ("how much for a car?" / "how long is that good
        for?" / "and for a motorcycle?")."""
        start = time.monotonic()
        previous = ""
        for turn in history[-FOLLOW_UP_CHAIN:]:
            if turn.role == "caller":
                previous = resolve_follow_up(without_lead_in(turn.text), previous)
        said = joined_codes(without_lead_in(query))
        query = resolve_follow_up(said, previous)
        try:
            passages = await self._search(query, said)
            if not passages and previous and len(query.split()) <= FOLLOW_UP_MAX_WORDS:
                query = f"{previous} {query}"
                passages = await self._search(query, said)
            terms, words = await asyncio.to_thread(self._names, passages) if passages else ((), {})
        except KnowledgeError as exc:
            return Retrieval(query, [], round((time.monotonic() - start) * 1000, 1), error=str(exc))
        return Retrieval(
            query, passages, round((time.monotonic() - start) * 1000, 1), kb_terms=terms, document_words=words
        )

    def _names(self, passages: Sequence[Passage]) -> tuple[tuple[str, ...], dict[str, frozenset[str]]]:
        """What the selector compares the names a question holds with: the knowledge base's
        distinctive words, and every word of each retrieved document's page."""
        assert self.retriever is not None
        words = {source: self.retriever.document_words(source) for source in {p.source for p in passages}}
        return tuple(self.retriever.vocabulary()), words

    async def _search(self, query: str, said: str) -> list[Passage]:
        """The units for `query` (the question made whole); the codes it names are looked up in
        `said`, the caller's own words this turn ("and E5?" asks for E5, not for the E4 before)."""
        if self.retriever is None:
            return []
        asked = analyse(query)
        deep = asked.answer_type in STRICT_TYPES
        k = max(DEEP_UNITS, self.top_k) if deep else self.top_k
        found = await self.retriever.search(query, k)
        clause = question_clause(query)
        if clause != query and len(clause.split()) >= CLAUSE_MIN_WORDS:
            # The caller's story blurs what the whole text is like: the question alone is searched
            # too, and each unit keeps the better of its two scores.
            best: dict[str, Passage] = {}
            for p in sorted([*found, *await self.retriever.search(clause, k)], key=lambda p: -p.score):
                best.setdefault(_unit_key(p), p)
            found = list(best.values())[:k]
        found = [p for p in found if p.score >= self.min_score]
        if deep:
            typed = [p for p in found[self.top_k :] if any(eligible(asked, c) for c in candidates(p))]
            found = found[: self.top_k] + typed[:TYPED_EXTRA]
        # A code the caller names ("error code E4") finds its units however far they are in meaning.
        try:
            coded = await self.retriever.coded(said)
        except KnowledgeError as exc:  # the search by meaning stands
            log.warning("looking up the codes a caller named failed: %s", exc)
            coded = []
        have = {_unit_key(p) for p in found}
        # Found by the code, such a unit ranks with the best unit found by meaning: MiniLM does not
        # read codes (E4's unit scored 0.14, E9's 0.46), and the selector counts a unit's distance
        # below the best score against it.
        top = max((p.score for p in found), default=0.0)
        added = [replace(p, score=max(p.score, top)) for p in coded if _unit_key(p) not in have]
        return found + added[:CODED_UNITS]

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
        previous_reply = next((t.text for t in reversed(history) if t.role == "assistant"), "")
        check = precheck(answer.question, previous_reply)
        answer.intent = check.intent
        if check.reply is not None:
            answer.provider = GUARD_PROVIDER
            answer.confidence = 1.0
            answer.sentences.append(check.reply)
            yield check.reply
            return
        answer.retrieval = retrieval or await self.retrieve(answer.question, history)
        if answer.retrieval.error:  # an apology and the offer of a person, never a guess
            yield self._sorry(answer, answer.retrieval.error)
            return
        passages = answer.retrieval.passages
        if passages:
            try:
                # Embedding the candidates takes CPU: off the event loop, so the call's audio keeps flowing.
                answer.selection = await asyncio.to_thread(
                    self.selector.select, answer.retrieval.query, passages, answer.retrieval.kb_terms,
                    answer.retrieval.document_words,
                )
            except Exception as exc:  # a fault of ours: the caller still hears a reply, not silence
                log.exception("selecting an answer to %r failed", answer.retrieval.query)
                yield self._sorry(answer, f"selecting an answer failed: {type(exc).__name__}: {exc}")
                return
            answer.confidence = answer.selection.confidence
            # A model sees only the passages about what the question names, never the other park's.
            passages = answer.selection.on_subject
        if answer.confidence < self.selector.model.llm_threshold:
            # Nothing relevant enough: never let a model improvise an answer.
            yield self._decline(answer, GUARD_PROVIDER)
            return
        # The offline responder speaks from this turn's selection; it does not select again.
        request = AnswerRequest(answer.retrieval.query, passages, tuple(history), selection=answer.selection)
        started = time.monotonic()
        stream = self.responder.respond(request)
        if isinstance(stream, ResponseStream):
            answer.report = stream.report
        guard = OutputGuard(instructions=SYSTEM_PROMPT)
        facts = FactChecker(passages)
        headings = {_bare(h) for p in passages for h in (p.heading, p.title) if h}
        asked = answer.selection.question if answer.selection else analyse(answer.retrieval.query)
        # A reply to "how much" / "when" / "what number" must hold that kind of fact: its first
        # sentences are held back (at most OFF_TYPE_MAX) until one does.
        held: list[str] = []
        shaped = asked.answer_type not in STRICT_TYPES
        first = True
        try:
            async for sentence in _sentences(stream, answer, started):
                served_by = (answer.report.served_by if answer.report else None) or self.responder.name
                if _NOT_FOUND.search(sentence):
                    if first and not held:
                        # The model found nothing, but an answer the selector is sure of is one the
                        # offline responder would have spoken: it is said; otherwise the decline is.
                        yield self._extractive(answer, declined_by=served_by)
                    break
                checked = guard.check(sentence)
                if checked is None:
                    break
                if not guard.leaked and (facts.invented(checked) or _says_nothing(checked, headings)
                                         or self._unfit_source(answer, checked)):
                    answer.dropped.append(checked)
                    continue
                if not shaped and not guard.leaked:
                    held.append(checked)
                    shaped = has_answer_shape(asked, checked)
                    if not shaped and len(held) < OFF_TYPE_MAX:
                        continue
                    if not shaped:
                        break
                ready, held = [*held, checked] if guard.leaked else (held or [checked]), []
                for said in ready:
                    answer.sentences.append(said)
                    if first:
                        first = False
                        answer.provider = served_by
                    yield said
                if guard.leaked:
                    break
        except ResponderError as exc:
            answer.error = exc.reason
            if first and not answer.dropped:
                yield self._sorry(answer, exc.reason)
        finally:
            answer.guard_reason = guard.reason
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()
        answer.dropped += held  # never reached the kind of fact asked for
        if first and answer.dropped:
            yield self._extractive(answer)

    def _unfit_source(self, answer: Answer, sentence: str) -> bool:
        """A model sentence taken from a candidate (a sentence in words of its own is left to the
        fact check) that the selector rated low, or cut from the middle of one.

        Rated low: not the best candidate, and either not one the offline responder would speak (at
        or above the threshold) or without the kind of fact asked for. On dev the stand-in's wrong
        answers were such sentences ("is the in-person check only in some states?": "Login only
        accepts a driver's license...", the third candidate at 0.64; "what if the metal detector goes
        off?": "You will be screened by a walk-through metal detector.", no outcome of a condition)."""
        selection = answer.selection
        source = selection.source_of(sentence) if selection else None
        if source is None or selection is None:
            return False
        kind = selection.question.answer_type
        off_kind = kind is not AnswerType.OTHER and not has_evidence(kind, source.candidate.spoken)
        low = source.confidence < self.selector.model.threshold or off_kind
        return (source is not selection.best and low) or _cut_short(source, sentence)

    def _sorry(self, answer: Answer, error: str) -> str:
        """The apology and the offer of a person, when no answer could be worked out."""
        answer.error = error
        answer.provider = GUARD_PROVIDER
        answer.sentences.append(SORRY_REPLY)
        return SORRY_REPLY

    def _decline(self, answer: Answer, provider: str) -> str:
        answer.provider = provider
        answer.declined = True
        answer.sentences.append(NOT_FOUND_REPLY)
        return NOT_FOUND_REPLY

    def _extractive(self, answer: Answer, declined_by: str = GUARD_PROVIDER) -> str:
        """The model said nothing that may be spoken (every sentence dropped, or "not in the
        knowledge base"): the selector's answer, if it is sure, else a decline by `declined_by`."""
        best = answer.selection.best if answer.selection else None
        if best is None or best.confidence < self.selector.model.threshold:
            return self._decline(answer, declined_by)
        answer.provider = EXTRACTIVE_PROVIDER
        answer.sentences.append(best.candidate.spoken)
        return best.candidate.spoken


def _unit_key(passage: Passage) -> str:
    return passage.chunk_id or f"{passage.source}\0{passage.text}"


def _bare(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def _says_nothing(sentence: str, headings: set[str]) -> bool:
    """A model sentence that only repeats a passage's heading or title ("How to reset your
    password.") or asks a question back ("What do I bring to the Post Office?") states no fact to speak."""
    return sentence.rstrip(" .").endswith("?") or _bare(sentence) in headings


def _cut_short(source: Scored, sentence: str) -> bool:
    """A model sentence that is the end of its source candidate without its beginning ("passport book
    to verify in person at the Post Office.", cut from "...you cannot currently use a U.S. passport
    book to verify in person at the Post Office." at "U.S."; "Brand Zulip with your logo." without
    the "Standard:" it was listed under): what it leaves out can turn it around."""
    said, whole = _bare(sentence), _bare(source.candidate.spoken)
    if said not in whole or whole.startswith(said):
        return False
    parts = source.candidate.spoken.split(":")
    after_label = any(_bare(":".join(parts[i:])) == said for i in range(1, len(parts)))
    return sentence[:1].islower() or after_label


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
