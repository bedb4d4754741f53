"""The responder that needs no language model: it speaks the most relevant sentences of the
best-matching passage, or says it does not know and offers a person.

It never invents anything: every word it says is in the knowledge base (or is the fixed
"not found" reply), which is why it is also the last link of every fallback chain.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from functools import lru_cache

import pysbd

from earpiece.core.interfaces import AnswerRequest, Passage
from earpiece.core.llm.guard import NOT_FOUND_REPLY

_STOPWORDS = frozenset(
    (
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "from", "by",
        "with", "about", "as", "into", "is", "are", "was", "were", "be", "been", "being", "do", "does",
        "did", "have", "has", "had", "i", "you", "he", "she", "it", "we", "they", "me", "my", "your",
        "our", "their", "this", "that", "these", "those", "what", "which", "who", "whom", "whose", "when",
        "where", "why", "how", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
        "there", "here", "than", "then", "so", "not", "no", "yes", "please", "tell", "know", "want",
        "like", "get", "any", "some", "just", "also", "too", "very",
    )
)
_MARKDOWN = re.compile(r"(^|\n)\s*(?:#{1,6}\s*|[-*•]\s+|\d+[.)]\s+|>\s*)|[*_`|]+")
_QA_LABEL = re.compile(r"(?i)^\s*(?:q|question|a|answer)\s*[:.-]\s*")


@lru_cache(maxsize=1)
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def _stem(word: str) -> str:
    """Crude, but consistent: "machines"/"machine", "refunded"/"refund", "costs"/"cost"."""
    for suffix in ("ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOPWORDS}


def _sentences(passage_text: str) -> list[str]:
    out: list[str] = []
    for raw_line in passage_text.splitlines():
        line = _MARKDOWN.sub(r"\1", raw_line).strip()
        if raw_line.lstrip().startswith("#") or (len(line.split()) < 5 and not line.endswith((".", "!"))):
            continue  # headings and titles are not answers
        for sentence in _segmenter().segment(line):
            cleaned = _QA_LABEL.sub("", sentence).strip()
            if cleaned:
                out.append(cleaned)
    return out


def _best_overlap(passage: Passage, wanted: set[str]) -> int:
    return max((len(wanted & content_words(s)) for s in _sentences(passage.text)), default=0)


def shorten_for_speech(
    passage: Passage, question: str, *, max_sentences: int = 2, max_words: int = 45
) -> str:
    """The passage's sentences most relevant to the question, in their original order.

    Questions inside the passage (FAQ entries repeat the question) are skipped: the caller wants
    the answer, not their own question read back.
    """
    wanted = content_words(question)
    sentences = [s for s in _sentences(passage.text) if not s.rstrip().endswith("?")]
    if not sentences:
        return passage.text.strip()
    scored = sorted(
        range(len(sentences)),
        key=lambda i: (-len(wanted & content_words(sentences[i])), i),
    )
    chosen = [scored[0]]
    # A second sentence only if it is also relevant, or the first is too short to stand alone.
    best = chosen[0]
    for i in scored[1:max_sentences]:
        continues = i == best + 1 and len(sentences[best].split()) < 6
        if wanted & content_words(sentences[i]) or continues:
            chosen.append(i)
    words: list[str] = []
    picked: list[str] = []
    for i in sorted(chosen):
        sentence_words = sentences[i].split()
        if picked and len(words) + len(sentence_words) > max_words:
            break
        words += sentence_words
        picked.append(sentences[i])
    return " ".join(picked)


class OfflineResponder:
    """Speaks from the best passage. Passages scoring within `margin` of the best compete on how
    many of the question's words one of their sentences holds: embeddings rank topics well but
    can put the passage with the actual figure second."""

    name = "offline"

    def __init__(self, min_score: float = 0.35, margin: float = 0.1) -> None:
        self.min_score = min_score
        self.margin = margin

    def answer(self, request: AnswerRequest) -> str:
        top = max((p.score for p in request.passages), default=0.0)
        if top < self.min_score:
            return NOT_FOUND_REPLY
        wanted = content_words(request.question)
        close = [p for p in request.passages if p.score >= max(self.min_score, top - self.margin)]
        chosen = max(close, key=lambda p: (_best_overlap(p, wanted), p.score))
        return shorten_for_speech(chosen, request.question)

    async def respond(self, request: AnswerRequest) -> AsyncIterator[str]:
        yield self.answer(request)
