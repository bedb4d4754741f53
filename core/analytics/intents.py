"""The caller's intent, from the admin's list (`analytics.intents` in the settings): each intent is
a name and a few example phrases; a question takes the intent whose examples it is closest to in
the MiniLM embedding space, if close enough, else "other"."""

from __future__ import annotations

from collections.abc import Sequence

from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import IntentSettings

OTHER = "other"
MIN_SIMILARITY = 0.45  # cosine: below this, no listed intent fits


class IntentClassifier:
    def __init__(self, intents: Sequence[IntentSettings], embedder: MiniLmEmbedder,
                 min_similarity: float = MIN_SIMILARITY) -> None:
        self._names = [i.name for i in intents for _ in i.examples]
        self._embedder = embedder
        self._min = min_similarity
        self._examples = embedder.embed([e for i in intents for e in i.examples])

    def scores(self, texts: Sequence[str]) -> list[tuple[str, float]]:
        """Per text: (best intent, its similarity)."""
        if not texts or not self._names:
            return [(OTHER, 0.0) for _ in texts]
        similarity = self._embedder.embed(list(texts)) @ self._examples.T
        best = similarity.argmax(axis=1)
        return [(self._names[int(b)], float(row[b])) for b, row in zip(best, similarity, strict=True)]

    def classify(self, text: str) -> str:
        ((name, score),) = self.scores([text])
        return name if score >= self._min else OTHER

    def call_intent(self, questions: Sequence[str]) -> str:
        """The intent of a call: the one its questions match best in total (first question breaks ties)."""
        totals: dict[str, float] = {}
        for name, score in self.scores(questions):
            if score >= self._min:
                totals[name] = totals.get(name, 0.0) + score
        if not totals:
            return OTHER
        return max(totals, key=lambda n: (totals[n], -list(totals).index(n)))

