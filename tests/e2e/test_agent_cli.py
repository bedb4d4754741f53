"""`earpiece agent` refuses bad input with a clear message before (or instead of) answering calls."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest

from earpiece.cli import build_parser, main
from earpiece.cli.agent import child_argv
from earpiece.core.calls.journal import IN_FLIGHT, CallJournal, recover_lost_calls
from earpiece.core.calls.record_format import CallFacts, Outcome, TransferAttempt
from earpiece.core.settings import AccountSettings, SipSettings, save_settings
from earpiece.core.settings import Settings as AppSettings
from tests.e2e.harness import ROOT, AgentProcess
from tests.peers.kamailio import Kamailio


def test_no_account_chosen_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent"]) == 2
    assert "--account ID" in capsys.readouterr().err


def test_unknown_account_names_the_known_ones(capsys: pytest.CaptureFixture[str]) -> None:
    account = AccountSettings(id="support", username="support", domain="pbx.example.com")
    save_settings(AppSettings(sip=SipSettings(accounts=[account])))
    assert main(["agent", "--account", "sales"]) == 2
    assert "no account 'sales' in the settings (known: support)" in capsys.readouterr().err


def test_missing_password_says_where_to_put_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["agent", "--username", "bot", "--domain", "pbx.example.com"]) == 2
    assert "EARPIECE_SECRET_SIP_BOT" in capsys.readouterr().err


def test_outcome_follows_what_happened() -> None:
    facts = CallFacts("c1", account_id="bot", remote_uri="sip:a@b", offered_at=0.0)
    assert facts.outcome("remote") is Outcome.CALLER_HUNG_UP
    assert facts.outcome("hangup_requested") is Outcome.AGENT_HUNG_UP
    assert facts.outcome("shutdown") is Outcome.ENDED_AT_SHUTDOWN
    facts.transfers.append(TransferAttempt("carol", 1.0, "a person", code=486, final=True))
    assert facts.outcome("remote") is Outcome.TRANSFER_FAILED
    facts.transfers.append(TransferAttempt("carol", 2.0, "a person", code=200, final=True))
    assert facts.outcome("remote") is Outcome.TRANSFERRED
    silent = CallFacts("c2", account_id="bot", remote_uri="sip:a@b", offered_at=0.0, ended_stale=True)
    assert silent.outcome("remote") is Outcome.ENDED_STALE


def test_the_supervised_agent_gets_the_same_options_without_supervise() -> None:
    args = build_parser().parse_args([
        "--log-level", "INFO", "agent", "--username", "bot", "--domain", "pbx.example.com",
        "--sip-port", "5070", "--media-timeout", "12", "--supervise", "--no-standby",
    ])
    assert child_argv(args) == [
        "--log-level", "INFO", "agent", "--username", "bot", "--domain", "pbx.example.com",
        "--media-timeout", "12.0", "--sip-port", "5070",
    ]


def test_calls_in_progress_of_a_dead_agent_get_lost_in_crash_records(tmp_path: Path) -> None:
    journal = CallJournal(tmp_path)

    def facts(call_id: str) -> CallFacts:
        return CallFacts(call_id, account_id="bot", remote_uri=f"sip:{call_id}@b", display_name="Caller",
                         offered_at=time.monotonic(), knowledge_base="sample")

    for call_id in ("dead1", "alive1"):
        journal.offered(facts(call_id))
    journal.answered(facts("dead1"))
    gone = subprocess.Popen(["true"])
    gone.wait()
    entry = tmp_path / IN_FLIGHT / "dead1.json"
    entry.write_text(json.dumps({**json.loads(entry.read_text()), "pid": gone.pid}))
    (written,) = recover_lost_calls(tmp_path, "the agent process was killed by SIGKILL")
    record = json.loads(written.read_text())
    assert record["outcome"] == "lost_in_crash" and record["call_id"] == "dead1"
    assert record["sip"]["remote_uri"] == "sip:dead1@b" and record["sip"]["answered"]
    assert "SIGKILL" in record["notes"][0] and record["knowledge_base"] == "sample"
    assert not entry.exists()
    assert (tmp_path / IN_FLIGHT / "alive1.json").exists()  # this process still carries it
    journal.ended("alive1")
    assert not list((tmp_path / IN_FLIGHT).iterdir())


@pytest.mark.peers
@pytest.mark.models
def test_a_wrong_password_stops_the_agent_with_the_registrar_reason(tmp_path: Path) -> None:
    with Kamailio(users={"bot": "right"}) as registrar:
        agent = AgentProcess(registrar, "bot", "wrong", tmp_path)
        done = subprocess.run(agent.argv, env=agent.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "registration of bot refused" in done.stderr and "401" in done.stderr, done.stderr


def test_stale_call_timeouts_come_from_the_settings_unless_given() -> None:
    from earpiece.cli.agent import sip_config

    settings = AppSettings(sip=SipSettings(ack_timeout_s=9.0, media_timeout_s=45.0))
    parser = build_parser()
    from_settings = sip_config(settings, parser.parse_args(["agent"]))
    assert (from_settings.ack_timeout_s, from_settings.media_timeout_s) == (9.0, 45.0)
    given = sip_config(settings, parser.parse_args(["agent", "--ack-timeout", "0", "--media-timeout", "3"]))
    assert (given.ack_timeout_s, given.media_timeout_s) == (None, 3.0)


def test_sip_events_become_the_controllers_line_events() -> None:
    from earpiece.core.calls.line import CallConnected, CallDisconnected
    from earpiece.headless.sip_line import line_event
    from earpiece.sip.accounts import registration_refused
    from earpiece.sip.events import (
        STALE_CALL_ENDED,
        CallDirection,
        CallState,
        CallStateChanged,
        RegistrationChanged,
        RegistrationState,
    )

    def state(value: CallState, reason: str) -> CallStateChanged:
        return CallStateChanged(call_id="c1", account_id="bot", direction=CallDirection.INBOUND, state=value,
                                code=200, reason=reason, remote_uri="sip:a@b")

    confirmed = state(CallState.CONFIRMED, "")
    assert line_event(confirmed) == CallConnected("c1", "bot", "sip:a@b", confirmed.at)
    assert line_event(state(CallState.EARLY, "")) is None
    stale = line_event(state(CallState.DISCONNECTED, f"{STALE_CALL_ENDED}no audio received for 30 s"))
    assert isinstance(stale, CallDisconnected) and stale.stale
    bye = line_event(state(CallState.DISCONNECTED, "hung up by the other party"))
    assert isinstance(bye, CallDisconnected) and not bye.stale

    def registration(code: int) -> RegistrationChanged:
        return RegistrationChanged(account_id="bot", state=RegistrationState.FAILED, code=code, reason="")

    assert registration_refused(registration(401)) and registration_refused(registration(403))
    assert not registration_refused(registration(503)) and not registration_refused(registration(408))


def test_more_calls_than_one_process_holds_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EARPIECE_SECRET_SIP_BOT", "pw")
    assert main(["agent", "--username", "bot", "--domain", "pbx.example.com", "--max-calls", "5"]) == 2
    assert "--max-calls must be 1 to 4" in capsys.readouterr().err
