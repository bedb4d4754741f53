"""Picks what to say from retrieved units, with a confidence.

Every candidate (a sentence, an FAQ answer, a table row, a list item) gets a few features: how
much closer in meaning to the question it is than the other candidates and units (the bundled
MiniLM), how many of the question's focus terms it holds, and whether it holds the kind of fact
asked for (a price for "how much", a day or time for "when"...). A small logistic model turns them
into a confidence; the best candidate wins, and below the threshold the honest answer is "I don't
know".
"""

from __future__ import annotations

import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from types import MappingProxyType

import numpy as np

from earpiece.core.answers.evidence import (
    POSTAL_TEXT,
    PRICE_FIGURE,
    TIME_OF_DAY,
    AnswerType,
    counts,
    has_evidence,
    states_clock_time,
)
from earpiece.core.answers.model import AnswerModel, default_model
from earpiece.core.answers.names import named_in, names
from earpiece.core.answers.question import Question, analyse
from earpiece.core.answers.units import (
    Candidate,
    candidates,
    faq_answer,
    incomplete,
    refers_outside,
    strip_markup,
)
from earpiece.core.answers.words import content_words
from earpiece.core.interfaces import Passage, UnitKind
from earpiece.core.llm.factcheck import written_numbers

Embed = Callable[[Sequence[str]], np.ndarray]
CACHE_SIZE = 20_000
# Every word of a retrieved document's page, by `Passage.source` (the knowledge base's
# `document_words`): a name can be on the page though no retrieved unit of it holds it.
DocumentWords = Mapping[str, frozenset[str]]
NO_DOCUMENT_WORDS: DocumentWords = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class Scored:
    candidate: Candidate
    features: tuple[float, ...]
    confidence: float


SOURCE_SHARE = 0.5  # of a sentence's content words a candidate holds when the sentence says it again


@dataclass(slots=True)
class Selection:
    question: Question
    ranked: list[Scored] = field(default_factory=list)  # best first
    on_subject: list[Passage] = field(default_factory=list)  # the passages about what the question names
    ms: float = 0.0

    @property
    def best(self) -> Scored | None:
        return self.ranked[0] if self.ranked else None

    @property
    def confidence(self) -> float:
        return self.ranked[0].confidence if self.ranked else 0.0

    def source_of(self, sentence: str) -> Scored | None:
        """The candidate a sentence says again (a model's sentence taken from the passages): the one
        holding the most of its content words, at least `SOURCE_SHARE` of them; among equals the most
        confident. None for a sentence in words of its own."""
        said = content_words(sentence)

        def share(scored: Scored) -> float:
            return len(said & content_words(scored.candidate.spoken)) / len(said)

        source = max(self.ranked, key=lambda s: (share(s), s.confidence), default=None) if said else None
        return source if source is not None and share(source) >= SOURCE_SHARE else None


# Questions whose answer has a shape that can be checked: a candidate without it is never spoken.
# A rule or a consequence can be said in too many ways for that: its words are evidence only.
STRICT_TYPES = frozenset(AnswerType) - {AnswerType.POLICY, AnswerType.CONSEQUENCE, AnswerType.OTHER}


def eligible(asked: Question, candidate: Candidate) -> bool:
    """Whether a candidate may be spoken at all: it is whole (not a question, nothing lost in
    conversion, no pronoun standing for what it does not say), and it holds the kind of fact asked
    for when that kind can be checked ("how many codes": a count of codes, not any number; "what
    time do you open": not "within 24 hours")."""
    whole = not incomplete(candidate.spoken) and not refers_outside(candidate)
    return whole and has_answer_shape(asked, candidate.spoken)


def has_answer_shape(asked: Question, text: str) -> bool:
    """Whether `text` holds the kind of fact asked for, when that kind can be checked: the same test
    for an extractive candidate and for a model's sentence."""
    if asked.answer_type is AnswerType.NUMBER and asked.counted:
        return counts(text, asked.counted)
    if asked.postal:
        return bool(POSTAL_TEXT.search(text))
    if asked.time_of_day:
        return bool(TIME_OF_DAY.search(text))
    if asked.clock:
        return states_clock_time(text)
    return asked.answer_type not in STRICT_TYPES or has_evidence(asked.answer_type, text)


# MiniLM cosine from which a caller's question is an FAQ's own question, lightly reworded: on the
# sample FAQ, rewordings score 0.93-0.98 ("where can I find my order number?"), a neighbouring
# question 0.72 at most ("do you deliver to France?" / "...outside the UK?"), two FAQ questions 0.66.
FAQ_MATCH = 0.9


# Items of one list retrieved together: a list of steps (or of options), not one statement.
LIST_ITEMS = 3


def _lone_step(asked: Question, candidate: Candidate, lists: Counter[tuple[str, str]]) -> bool:
    """One step of a procedure is no answer to "how do I ...": "Enter your new password." is step 7
    of resetting it. A list counts as a procedure when several of its items were retrieved."""
    key = (candidate.passage.source, candidate.passage.heading)
    return asked.procedure and candidate.step and lists[key] >= LIST_ITEMS


def on_subject(
    question: str,
    passages: Sequence[Passage],
    kb_terms: Collection[str] = (),
    document_words: DocumentWords = NO_DOCUMENT_WORDS,
) -> list[Passage]:
    """The passages that may answer a question naming specific things: none when a name occurs in
    no retrieved document (the knowledge base does not cover it); else not those whose document
    lacks a name that another document holds (a fact about the other park, product or office).
    A document holds what its retrieved units, headings, title and address say, and every word of
    its page when `document_words` has it ("if I file a bug on GitHub, how long does a reply
    take?" is answered from the support page that names GitHub in another section)."""
    asked = names(question, kb_terms)
    if not asked:
        return list(passages)
    by_source: dict[str, set[str]] = {}
    for p in passages:
        if p.source not in by_source:
            by_source[p.source] = set(_page_names(document_words.get(p.source, frozenset())))
        by_source[p.source].update(named_in((p.source, p.title, p.heading, p.text)))
    anywhere = set().union(*by_source.values())
    if asked - anywhere:
        return []
    elsewhere = {
        source: set().union(*(w for s, w in by_source.items() if s != source)) for source in by_source
    }
    return [p for p in passages if not ((asked - by_source[p.source]) & elsewhere[p.source])]


@lru_cache(maxsize=256)
def _page_names(words: frozenset[str]) -> frozenset[str]:
    """A page's words as `names` compares them (stemmed, compounds joined): the knowledge base
    hands out the same set for a page until it changes, so each is reduced once."""
    return frozenset(named_in(words))


class _VectorCache:
    """Sentence vectors by text: knowledge sentences recur from question to question."""

    def __init__(self, embed: Embed | None) -> None:
        self._embed = embed
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def _embedder(self) -> Embed:
        if self._embed is None:
            from earpiece.core.knowledge.embedding import MiniLmEmbedder
            from earpiece.core.settings import KnowledgeSettings

            self._embed = MiniLmEmbedder.from_settings(KnowledgeSettings()).embed
        return self._embed

    def vectors(self, texts: Sequence[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._vectors))
        if missing:
            fresh = self._embedder()(missing)
            with self._lock:
                for text, vector in zip(missing, fresh, strict=True):
                    self._vectors[text] = vector
                while len(self._vectors) > CACHE_SIZE:
                    self._vectors.popitem(last=False)
        with self._lock:
            for t in texts:
                self._vectors.move_to_end(t)
            return np.stack([self._vectors[t] for t in texts])


class Selector:
    def __init__(self, model: AnswerModel | None = None, *, embed: Embed | None = None) -> None:
        self.model = model or default_model()
        self._cache = _VectorCache(embed)

    def select(
        self,
        question: str,
        passages: Sequence[Passage],
        kb_terms: Collection[str] = (),
        document_words: DocumentWords = NO_DOCUMENT_WORDS,
    ) -> Selection:
        """The candidates of `passages`, best first; `kb_terms` are the knowledge base's distinctive
        words (names a lower-case question may hold), `document_words` every word of the retrieved
        documents' pages (see `on_subject`)."""
        started = time.perf_counter()
        asked = analyse(question)
        selection = Selection(asked)
        named = selection.on_subject = on_subject(question, passages, kb_terms, document_words)
        lists = Counter((p.source, p.heading) for p in named if p.kind is UnitKind.LIST)
        asked_as = self._faq_matches(question, named)
        cut = [
            [c for c in (faq_answer(p),) if not incomplete(c.spoken)] if asked_as[i] else
            [c for c in candidates(p) if eligible(asked, c) and not _lone_step(asked, c, lists)]
            for i, p in enumerate(named)
        ]
        pool = [c for unit in cut for c in unit]
        matched = [match for unit, match in zip(cut, asked_as, strict=True) for _ in unit]
        if pool:
            similarity = self._similarity(question, cut)
            top = max(p.score for p in passages)
            margins = _margins(similarity)
            weights = focus_weights(asked.focus, named)
            for candidate, margin, match in zip(pool, margins, matched, strict=True):
                features = self.features(asked, candidate, top, margin, weights)
                confidence = max(self.model.confidence(features), match)
                selection.ranked.append(Scored(candidate, features, confidence))
            selection.ranked.sort(key=lambda s: -s.confidence)
        selection.ms = round((time.perf_counter() - started) * 1000, 2)
        return selection

    def _faq_matches(self, question: str, passages: Sequence[Passage]) -> list[float]:
        """For each passage, how closely the caller's question is its FAQ's own question (MiniLM
        cosine), 0 when it is no FAQ or the questions differ (below `FAQ_MATCH`).

        The FAQ's author wrote its answer for that question: asked it, the whole answer is the
        answer, whatever its shape ("where is my order number?": "in the order confirmation
        e-mail"), and a later sentence alone ("the discount cannot be combined...") only when the
        caller asks something else. The match is the confidence it is worth at least."""
        faqs = [i for i, p in enumerate(passages) if p.kind is UnitKind.FAQ and p.heading.strip()]
        out = [0.0] * len(passages)
        if faqs:
            vectors = self._cache.vectors([question, *(strip_markup(passages[i].heading) for i in faqs)])
            for i, vector in zip(faqs, vectors[1:], strict=True):
                similarity = float(vector @ vectors[0])
                out[i] = similarity if similarity >= FAQ_MATCH else 0.0
        return out

    def _similarity(self, question: str, cut: list[list[Candidate]]) -> list[float]:
        """Question-candidate similarity. A unit that is one candidate was scored as a whole by
        the retriever already; only the sentences of longer units are embedded (and cached)."""
        split = [c.match_text for unit in cut if len(unit) > 1 for c in unit]
        vectors = self._cache.vectors([question, *split]) if split else None
        out: list[float] = []
        n = 1
        for unit in cut:
            if not unit:
                continue
            if len(unit) == 1:
                out.append(unit[0].passage.score)
                continue
            assert vectors is not None
            out += [float(v) for v in vectors[n : n + len(unit)] @ vectors[0]]
            n += len(unit)
        return out

    @staticmethod
    def features(
        asked: Question, candidate: Candidate, top_score: float, margin: float,
        weights: Mapping[str, float] | None = None,
    ) -> tuple[float, ...]:
        focus = asked.focus
        about = content_words(f"{candidate.passage.title}. {candidate.match_text}")
        spoken = content_words(candidate.spoken)
        weights = weights or dict.fromkeys(focus, 1.0)
        weighed = sum(weights.values()) or 1.0
        typed = asked.answer_type is not AnswerType.OTHER
        found = typed and has_evidence(asked.answer_type, candidate.spoken)
        checked = found and asked.answer_type in STRICT_TYPES
        # "Free" or "discounted" tells whether one pays, not how much: no evidence of an amount
        # (counted as half, "how much is Standard per user?" got "...eligible for a discount").
        weak = checked and asked.amount and "free" not in asked.focus and not (
            PRICE_FIGURE.search(candidate.spoken)
        )
        held = written_numbers(f"{candidate.passage.title}. {candidate.passage.heading}. {candidate.spoken}")
        return (
            sum(weights[t] for t in focus & about) / weighed,
            sum(weights[t] for t in focus & spoken) / weighed,
            0.0 if weak else 1.0 if checked else 0.0,
            1.0 if found and not checked else 0.0,
            1.0 if typed and not found else 0.0,
            top_score - candidate.passage.score,
            margin,
            1.0 if asked.numbers - held else 0.0,
        )


def focus_weights(focus: Collection[str], passages: Sequence[Passage]) -> dict[str, float]:
    """How much each focus term tells the retrieved units apart: 1 for a term none of them holds,
    near 0 for one every unit holds ("account" among a sign-in site's units). Covering a question's
    terms says little when they are the ones every unit shares ("can I get my deleted account
    back?": the units all say "delete" and "account"; "back" is what is asked)."""
    held = [content_words(f"{p.title}. {p.heading}. {p.text}") for p in passages]
    return {t: 1.0 - sum(t in words for words in held) / (len(held) + 1) for t in focus}


def _margins(similarity: Sequence[float]) -> list[float]:
    """Each candidate's similarity minus the best of the others' (0 for a lone candidate): an
    answer that stands out from its neighbours is more likely the one meant than one of several
    near-equal sentences (the steps of a procedure, rows of a price table)."""
    if len(similarity) < 2:
        return [0.0] * len(similarity)
    order = sorted(similarity, reverse=True)
    return [s - (order[1] if s == order[0] else order[0]) for s in similarity]


_shared: Selector | None = None
_shared_lock = threading.Lock()


def shared_selector() -> Selector:
    """One selector per process (its sentence vectors are worth sharing), on the default model."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = Selector()
        return _shared
