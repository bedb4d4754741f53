"""What a turn of a call record says about the answer: was it a caller's question, was it declined,
how confident was the answer. Records from before answers carried a confidence (and the desktop's
copilot turns) have no `declined` field: the fixed "not found" reply marks a decline there."""

from __future__ import annotations

import re
from typing import Any

from earpiece.core.llm.guard import NOT_FOUND_REPLY

QUESTION_INTENTS = ("question", "")  # not handover / goodbye / injection
# Thanks and goodbyes the engine's pre-check did not catch ("Great, thanks a lot, goodbye.") reach
# the knowledge base as questions; they are neither questions nor knowledge gaps.
COURTESY_WORDS = frozenset({
    "a", "all", "alright", "and", "been", "bye", "cheers", "fine", "good", "goodbye", "great", "have",
    "helpful", "i", "is", "it", "it's", "lot", "lovely", "many", "much", "no", "nothing", "ok", "okay",
    "perfect", "really", "so", "super", "thank", "thanks", "that", "that's", "the", "then", "very",
    "was", "well", "wonderful", "yes", "you", "you've",
})


def is_courtesy(text: str) -> bool:
    words = re.findall(r"[a-z']+", text.lower().replace("’", "'"))
    return bool(words) and all(w in COURTESY_WORDS for w in words)


def is_question(turn: dict[str, Any]) -> bool:
    text = str(turn.get("question", "")).strip()
    return (turn.get("speaker") == "caller" and turn.get("intent", "") in QUESTION_INTENTS
            and bool(text) and not is_courtesy(text))


def declined(turn: dict[str, Any]) -> bool:
    if "declined" in turn:
        return bool(turn["declined"])
    return NOT_FOUND_REPLY in str(turn.get("answer", ""))


def confidence(turn: dict[str, Any]) -> float | None:
    value = turn.get("confidence")
    return float(value) if isinstance(value, int | float) else None


def answered(turn: dict[str, Any]) -> bool:
    """A question that got an answer from the knowledge base (not declined, not an apology)."""
    return is_question(turn) and not declined(turn) and bool(turn.get("sources")) and bool(turn.get("answer"))
