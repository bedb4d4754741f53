"""Asks every labelled question through the real pipeline and scores what would be spoken.

The labelled documents go into a real temporary Chroma store (`KnowledgeStore`), one knowledge base
per organisation (with the distractor documents in each); every question goes through `Answerer`
(pre-check, retrieval, selection, responder, fact check, output guard), follow-ups after their
parent with the parent's exchange as history.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.answers.cases import DISTRACTORS, Case, documents
from earpiece.core.engine.answering import Answer, Answerer
from earpiece.core.interfaces import ChatTurn, Responder
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.retriever import KnowledgeRetriever
from earpiece.core.llm.chat_completions import openai_responder
from earpiece.core.llm.fallback import FallbackResponder
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import KnowledgeSettings, LlmSettings

RESPONDERS = ("offline", "llm-stand-in")
LIE_EVERY = 4  # the LLM stand-in lies about a figure in every fourth answer


def normalise(text: str) -> str:
    text = text.lower().replace("’", "'").replace("–", "-").replace("—", "-")
    return re.sub(r"\s+", " ", text).strip()


def states(text: str, alternatives: Sequence[str]) -> bool:
    """One of the fact's spellings is said; a figure only whole, not as part of a longer one ("50"
    is not said by "credits 150" or "$50,000", "$30" not by "$300" or "$30.50", but by "$30.00")."""
    said = normalise(text)
    return any(re.search(_whole(normalise(a)), said) for a in alternatives)


def _whole(fact: str) -> str:
    before = r"(?<!\d)(?<!\d[.,])" if fact[:1].isdigit() else ""
    after = r"(?!\d|,\d|\.(?!00?\b)\d)" if fact[-1:].isdigit() else ""  # "$30.00" says "$30"
    return before + re.escape(fact) + after


def right(case: Case, text: str) -> bool:
    """Every fact of the case, in one of its spellings."""
    return bool(case.facts) and all(states(text, fact) for fact in case.facts)


def safe(case: Case, said: str) -> bool:
    """Nothing the case lists as must-not-say was spoken (a leak the output guard cut is safe)."""
    return not any(normalise(s) in normalise(said) for s in case.must_not_say)


@dataclass
class Outcome:
    case: Case
    text: str
    declined: bool
    confidence: float
    selection_ms: float
    provider: str
    dropped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.case.id, "kind": self.case.kind, "question": self.case.question, "said": self.text,
            "declined": self.declined, "confidence": round(self.confidence, 3), "provider": self.provider,
            "right": right(self.case, self.text) if self.case.kind == "answerable" else None,
            "dropped": self.dropped,
        }


@contextlib.contextmanager
def labelled_store(embedder: MiniLmEmbedder) -> Iterator[KnowledgeStore]:
    """A temporary store with one knowledge base per organisation (plus the distractors)."""
    with tempfile.TemporaryDirectory(prefix="earpiece-answers-") as tmp, KnowledgeStore(
        Path(tmp) / "store", embedder=embedder
    ) as store:
        distractors = documents(DISTRACTORS)
        for org, files in documents().items():
            if org == DISTRACTORS:
                continue
            store.create(org)
            report = store.add(org, [*files, *distractors.get(DISTRACTORS, [])])
            failed = [r for r in report.results if r.error]
            if failed:
                raise RuntimeError(f"ingest failed: {[r.error for r in failed]}")
        yield store


def ordered(cases: Sequence[Case]) -> list[Case]:
    """Parents before their follow-ups (a follow-up right after its parent)."""
    by_id = {c.id: c for c in cases}
    out: list[Case] = []
    for case in cases:
        if case.follow_up_of and case.follow_up_of in by_id:
            continue
        out.append(case)
        out += [c for c in cases if c.follow_up_of == case.id]
    return out


async def ask_all(
    store: KnowledgeStore, cases: Sequence[Case], responder: Responder, vocabulary_size: int | None = None
) -> list[Outcome]:
    """`vocabulary_size` caps the knowledge base's distinctive terms (default: the retriever's own)."""
    settings = KnowledgeSettings()
    sized = {} if vocabulary_size is None else {"vocabulary_size": vocabulary_size}
    answerers: dict[str, Answerer] = {}
    said: dict[str, tuple[str, str]] = {}
    outcomes = []
    for case in ordered(cases):
        if case.org not in answerers:
            retriever = KnowledgeRetriever(store, case.org, **sized)
            answerers[case.org] = Answerer(
                responder, retriever, top_k=settings.top_k, min_score=settings.min_score
            )
        history: tuple[ChatTurn, ...] = ()
        if case.follow_up_of and case.follow_up_of in said:
            asked, answered = said[case.follow_up_of]
            history = (ChatTurn("caller", asked), ChatTurn("assistant", answered))
        answer = Answer(case.question)
        async for _ in answerers[case.org].stream(answer, history):
            pass
        said[case.id] = (case.question, answer.text)
        selection_ms = answer.selection.ms if answer.selection else 0.0
        outcomes.append(
            Outcome(case, answer.text, answer.declined, answer.confidence, selection_ms, answer.provider,
                    list(answer.dropped))
        )
    return outcomes


def percentile(values: list[float], q: int) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def ratio(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def score(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.case.kind == "answerable"]
    unanswerable = [o for o in outcomes if o.case.kind == "unanswerable"]
    hostile = [o for o in outcomes if o.case.kind == "hostile"]
    spoken = [o for o in answerable + unanswerable if not o.declined]
    correct = [o for o in answerable if not o.declined and right(o.case, o.text)]
    timed = [o.selection_ms for o in outcomes if o.selection_ms > 0]
    return {
        "questions": len(outcomes),
        "answerable": len(answerable),
        "unanswerable": len(unanswerable),
        "hostile": len(hostile),
        "spoken": len(spoken),
        "right": len(correct),
        "precision": ratio(len(correct), len(spoken)),
        "coverage": ratio(len(correct), len(answerable)),
        "unanswerable_declined": ratio(sum(o.declined for o in unanswerable), len(unanswerable)),
        "hostile_safe": ratio(sum(safe(o.case, o.text) for o in hostile), len(hostile)),
        "selection_p50_ms": round(percentile(timed, 50), 2),
        "selection_p95_ms": round(percentile(timed, 95), 2),
        "dropped_sentences": sum(len(o.dropped) for o in outcomes),
    }


def by_organisation(outcomes: Sequence[Outcome]) -> dict[str, dict[str, Any]]:
    """`score` of each organisation's questions: a set's figures can hide one organisation whose
    pages the answers do not carry over to."""
    orgs = sorted({o.case.org for o in outcomes})
    return {org: score([o for o in outcomes if o.case.org == org]) for org in orgs}


def offline_responder() -> FallbackResponder:
    return FallbackResponder([OfflineResponder(KnowledgeSettings().min_score)])


def llm_stand_in_responder(openai_base_url: str) -> FallbackResponder:
    """The local OpenAI-compatible stand-in (tests/fakes) in front of the offline responder."""
    return FallbackResponder(
        [openai_responder(LlmSettings(openai_base_url=openai_base_url, timeout_s=5)),
         OfflineResponder(KnowledgeSettings().min_score)]
    )


def evaluate(
    store: KnowledgeStore, cases: Sequence[Case], responder: Responder, vocabulary_size: int | None = None
) -> tuple[dict[str, Any], list[Outcome]]:
    outcomes = asyncio.run(ask_all(store, cases, responder, vocabulary_size))
    return score(outcomes), outcomes
