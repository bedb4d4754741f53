"""What a turn of a call record says about the answer: was it a caller's question, was it declined,
how confident was the answer. Records from before answers carried a confidence (and the desktop's
copilot turns) have no `declined` field: the fixed "not found" reply marks a decline there."""

from __future__ import annotations

from typing import Any

from earpiece.core.llm.prompt import NOT_FOUND_REPLY

QUESTION_INTENTS = ("question", "")  # not handover / goodbye / injection


def is_question(turn: dict[str, Any]) -> bool:
    return (turn.get("speaker") == "caller" and turn.get("intent", "") in QUESTION_INTENTS
            and bool(str(turn.get("question", "")).strip()))


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
