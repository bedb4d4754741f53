"""Raw pjsua2 and PortAudio messages seen in real runs, and what the user reads instead."""

from __future__ import annotations

from earpiece.core.calls.record_format import Outcome
from earpiece.desktop.plain_words import (
    command_problem_text,
    device_problem_text,
    end_reason_text,
    outcome_text,
)

SEEN_RESUME_FAILURE = ("pjsua_call_reinvite2(id, param.p_opt, param.p_msg_data) error: Invalid operation "
                       "(PJ_EINVALIDOP) (status=70013) [../src/pjsua2/call.cpp:755]")


def test_command_and_device_errors_in_plain_words() -> None:
    assert command_problem_text(SEEN_RESUME_FAILURE) == (
        "the call is still busy with a previous change; try again in a moment")
    assert device_problem_text("Error querying device -1") == (
        "no sound device was found (is a headset plugged in?)")
    assert command_problem_text("something new") == "something new"  # unknown: kept, not hidden


def test_who_ended_the_call() -> None:
    assert end_reason_text("hung up here") == "you hung up"
    assert end_reason_text("hung up by the other party") == "the caller hung up"
    assert end_reason_text("hung up by the other party", outbound=True) == "the person you called hung up"
    assert end_reason_text("busy (486)") == "busy (486)"


def test_every_outcome_a_call_record_can_hold_is_told_in_plain_words() -> None:
    said = {outcome: outcome_text(outcome) for outcome in Outcome}  # all that CallFacts.outcome returns
    for outcome, words in said.items():
        assert words and words != outcome.value and "_" not in words, outcome
    assert len(set(said.values())) == len(said)  # no two outcomes read alike
    assert outcome_text("", "hangup_requested") == said[Outcome.AGENT_HUNG_UP]  # an older record
    assert outcome_text("something_new") == "something_new"  # unknown: kept, not hidden


def test_the_demo_callers_ending_is_told_from_the_agents_side() -> None:
    from earpiece.desktop.demo_call import caller_story

    assert caller_story("call ended: hung up here") == "call ended: the demo caller hung up"
    assert caller_story("call ended: hung up by the other party") == "call ended: you hung up"
    assert caller_story("asking: How much does delivery cost?") == "asking: How much does delivery cost?"
