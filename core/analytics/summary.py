"""A short extractive summary of a call: what the caller wanted (their questions, as said), what
they were told (the first sentence of each answer, or that no answer was known; on a copilot turn
the first sentence the person said next, since Earpiece's answer was only a suggestion to them)
and the outcome.

Extractive on purpose: every word comes from the transcript, so the summary cannot state anything
the call did not contain. Measured on the labelled calls in tests/data/calls (evaluation.md;
tests/analytics/test_labelled.py). With an LLM configured, `llm_summary` may write the text instead
(`written`); the extractive fields stay, as the facts it was checked against."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

import pysbd

from earpiece.core.analytics.disposition import Disposition
from earpiece.core.analytics.records import CallData
from earpiece.core.analytics.turns import declined, is_question

MAX_QUESTIONS = 3


@dataclass(frozen=True, slots=True)
class CallSummary:
    wanted: tuple[str, ...]  # the caller's questions
    told: tuple[str, ...]  # one per question: the answer's first sentence, or "no answer known"
    outcome: str
    written: str = ""  # a model's fact-checked summary; "" when the extractive text stands

    @property
    def source(self) -> Literal["llm", "extractive"]:
        return "llm" if self.written else "extractive"

    @property
    def text(self) -> str:
        if self.written:
            return self.written
        if not self.wanted:
            return f"The caller asked nothing. Outcome: {self.outcome}."
        asked = " | ".join(f'"{q}" - {a}' for q, a in zip(self.wanted, self.told, strict=True))
        stop = "" if asked.endswith((".", "!", "?")) else "."
        return f"Caller asked: {asked}{stop} Outcome: {self.outcome}."


@functools.cache
def _segmenter() -> pysbd.Segmenter:
    return pysbd.Segmenter(language="en", clean=False)


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _segmenter().segment(text) if s.strip()]


def first_sentence(text: str) -> str:
    found = sentences(text)
    return found[0] if found else ""


# How the call ended, where the record's outcome says more than the disposition.
OUTCOME_DETAILS = {
    "transfer_failed": " (asked for a person; the transfer failed)",
    "ended_at_shutdown": " (the call was ended when Earpiece shut down)",
    "ended_stale": " (the line went silent and the call was ended)",
    "lost_in_crash": " (the call was cut off: Earpiece stopped unexpectedly)",
    "error": " (the call ended on an error)",
}


def _outcome(call: CallData, disposition: Disposition) -> str:
    detail = ""
    if disposition is Disposition.TRANSFERRED:
        destination = next((t.get("destination", "") for t in call.transfers if t.get("succeeded")), "")
        detail = f" to {destination}" if destination else ""
    elif call.outcome in OUTCOME_DETAILS:
        detail = OUTCOME_DETAILS[call.outcome]
    elif any(e.get("event") == "HangUpRequested" and e.get("reason") == "goodbye" for e in call.events):
        detail = " (the caller said goodbye)"
    return f"{disposition}{detail}"


def agent_reply(call: CallData, turn_id: object) -> str:
    """What the agent (a person, on a copilot turn) said after the caller's question of `turn_id`,
    until the caller spoke again; "" when nothing of theirs was transcribed."""
    lines = sorted(call.transcript, key=lambda line: line.t)
    asked = next((i for i, line in enumerate(lines)
                  if line.speaker == "caller" and line.turn == turn_id), None)
    said: list[str] = []
    for line in lines[asked + 1:] if asked is not None else []:
        if line.speaker == "caller":
            break
        if line.speaker == "agent":
            said.append(line.text)
    return " ".join(said)


def _told(call: CallData, turn: dict[str, Any]) -> str:
    if turn.get("mode") == "copilot":
        reply = first_sentence(agent_reply(call, turn.get("turn_id")))
        return f"the agent said: {reply}" if reply else "no reply heard"
    answer = str(turn.get("answer", "")).strip()
    return "no answer known" if declined(turn) or not answer else first_sentence(answer)


def summarise(call: CallData, disposition: Disposition) -> CallSummary:
    questions = [t for t in call.turns if is_question(t)]
    wanted: list[str] = []
    told: list[str] = []
    for turn in questions:
        question = str(turn["question"]).strip()
        if question in wanted:
            continue
        if len(wanted) == MAX_QUESTIONS:
            break
        wanted.append(question)
        told.append(_told(call, turn))
    extra = len({str(t["question"]).strip() for t in questions}) - len(wanted)
    outcome = _outcome(call, disposition)
    if extra > 0:
        outcome = f"{outcome}; {extra} more question(s)"
    return CallSummary(tuple(wanted), tuple(told), outcome)
