"""`earpiece agent` refuses bad input with a clear message before (or instead of) answering calls."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.settings import AccountSettings, SipSettings, save_settings
from earpiece.core.settings import Settings as AppSettings
from earpiece.headless.call_report import CallFacts, Outcome, TransferAttempt, outcome_of
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
    facts = CallFacts("c1", "bot", "sip:a@b", "", 0.0)
    assert outcome_of(facts, "remote") is Outcome.CALLER_HUNG_UP
    assert outcome_of(facts, "hangup_requested") is Outcome.AGENT_HUNG_UP
    facts.transfers.append(TransferAttempt("carol", 1.0, "a person", code=486, final=True))
    assert outcome_of(facts, "remote") is Outcome.TRANSFER_FAILED
    facts.transfers.append(TransferAttempt("carol", 2.0, "a person", code=200, final=True))
    assert outcome_of(facts, "remote") is Outcome.TRANSFERRED


@pytest.mark.peers
@pytest.mark.models
def test_a_wrong_password_stops_the_agent_with_the_registrar_reason(tmp_path: Path) -> None:
    with Kamailio(users={"bot": "right"}) as registrar:
        agent = AgentProcess(registrar, "bot", "wrong", tmp_path)
        done = subprocess.run(agent.argv, env=agent.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=120, check=False)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "registration of bot refused" in done.stderr and "401" in done.stderr, done.stderr
