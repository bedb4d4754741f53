"""The responder that needs no language model: it speaks the answer unit the selector is confident
about (an FAQ answer, the one table row asked about, a sentence), or says it does not know and
offers a person.

It never invents anything: every word it says is in the knowledge base (or is the fixed
"not found" reply), which is why it is also the last link of every fallback chain.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from earpiece.core.answers.selector import Selection, Selector, shared_selector
from earpiece.core.interfaces import AnswerRequest
from earpiece.core.llm.guard import NOT_FOUND_REPLY


class OfflineResponder:
    """Speaks the selector's best candidate when its confidence reaches the model's threshold.

    A request from the `Answerer` carries the turn's selection (`AnswerRequest.selection`), which is used
    as it is; for any other request the selection is made here, after `min_score` has dropped the
    units whose retrieval similarity is too low to be about the question.
    """

    name = "offline"

    def __init__(self, min_score: float = 0.35, *, selector: Selector | None = None) -> None:
        self.min_score = min_score
        self._selector = selector

    @property
    def selector(self) -> Selector:
        return self._selector or shared_selector()

    def select(self, request: AnswerRequest) -> Selection:
        if request.selection is not None:
            return request.selection
        passages = [p for p in request.passages if p.score >= self.min_score]
        return self.selector.select(request.question, passages)

    def answer(self, request: AnswerRequest) -> str:
        selection = self.select(request)
        best = selection.best
        if best is None or best.confidence < self.selector.model.threshold:
            return NOT_FOUND_REPLY
        return best.candidate.spoken

    async def respond(self, request: AnswerRequest) -> AsyncIterator[str]:
        yield self.answer(request)
