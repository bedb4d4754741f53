"""How a call ended, as its record says: a desktop call whose AI session was stopped because Earpiece
quit (`CallController.stop_all` ends sessions with "stopped") ended at shutdown, not by the caller."""

from __future__ import annotations

from pathlib import Path

from earpiece.core.analytics.records import read_record
from earpiece.core.calls.record_format import CallFacts, Outcome, RecordSource
from earpiece.core.engine.record import CallRecorder


def desktop_call() -> CallFacts:
    return CallFacts("c1", source=RecordSource.DESKTOP, account_id="demo", remote_uri="sip:caller@pbx",
                     offered_at=1.0, answered_at=2.5)


def test_a_desktop_call_stopped_by_quitting_is_recorded_as_ended_at_shutdown(tmp_path: Path) -> None:
    recorder = CallRecorder("c1", "autonomous")
    recorder.facts, recorder.folder = desktop_call(), tmp_path
    record = read_record(recorder.save("stopped"))
    assert record.outcome == Outcome.ENDED_AT_SHUTDOWN and record.end_reason == "stopped"


def test_the_agent_shutting_down_ends_at_shutdown_too() -> None:
    assert CallFacts("c1", source=RecordSource.AGENT).outcome("shutdown") is Outcome.ENDED_AT_SHUTDOWN


def test_a_call_the_caller_ended_after_its_ai_stopped_is_hung_up_by_the_caller() -> None:
    facts = desktop_call()
    facts.disconnected = True  # the record is rewritten when the line ends the call
    assert facts.outcome("stopped") is Outcome.CALLER_HUNG_UP
    assert facts.outcome("remote") is Outcome.CALLER_HUNG_UP


def test_other_session_end_reasons_keep_their_outcomes() -> None:
    facts = desktop_call()
    assert facts.outcome("remote") is Outcome.CALLER_HUNG_UP
    assert facts.outcome("hangup_requested") is Outcome.AGENT_HUNG_UP
    assert facts.outcome("error") is Outcome.ERROR
    assert facts.outcome("crash") is Outcome.LOST_IN_CRASH
