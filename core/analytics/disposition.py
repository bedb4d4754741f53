"""How a call ended, for the supervisor: answered by the assistant, transferred, no answer known,
caller hung up (before anything was answered), or handled by a person (copilot calls)."""

from __future__ import annotations

from enum import StrEnum

from earpiece.core.analytics.records import CallData
from earpiece.core.analytics.turns import answered, declined, is_question


class Disposition(StrEnum):
    ANSWERED = "answered by the assistant"
    TRANSFERRED = "transferred"
    NO_ANSWER = "no answer known"
    HUNG_UP = "caller hung up"
    AGENT = "handled by a person"  # copilot: a person took the call, Earpiece only suggested


def transferred(call: CallData) -> bool:
    """A record with an outcome knows whether the transfer went through; an older desktop record
    only that one was asked for on an autonomous call (the phone then transferred to the account's
    handover address)."""
    if call.outcome:
        return call.outcome == "transferred"
    return call.mode == "autonomous" and any(e.get("event") == "TransferRequested" for e in call.events)


def disposition(call: CallData) -> Disposition:
    if transferred(call):
        return Disposition.TRANSFERRED
    if call.mode == "copilot":
        return Disposition.AGENT
    questions = [t for t in call.turns if is_question(t)]
    if any(answered(t) for t in questions):
        return Disposition.ANSWERED
    if any(declined(t) for t in questions):
        return Disposition.NO_ANSWER
    return Disposition.HUNG_UP
