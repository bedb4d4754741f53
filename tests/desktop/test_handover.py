"""A caller who asks for a person in autonomous mode is handed over to the account's handover address;
in copilot mode the agent is told instead and nothing is transferred."""

from __future__ import annotations

import pytest

from earpiece.core.engine.events import TransferReason, TransferRequested
from earpiece.core.settings import AccountSettings, CallMode, Settings
from earpiece.desktop.ai_calls import AiCalls
from earpiece.desktop.call_view import CallView
from earpiece.desktop.phone import Phone
from earpiece.desktop.voice_models import VoiceModels
from earpiece.sip.events import CallDirection

pytestmark = pytest.mark.gui


@pytest.mark.parametrize(("mode", "handover", "expected"), [
    (CallMode.AUTONOMOUS, "sip:team@pbx.example", [("c1", "sip:team@pbx.example")]),
    (CallMode.AUTONOMOUS, "", []),
    (CallMode.COPILOT, "sip:team@pbx.example", []),
])
def test_transfer_request_follows_the_account_handover(qtbot, monkeypatch, mode, handover, expected):
    settings = Settings()
    phone = Phone(settings)
    phone.accounts["work"] = AccountSettings(id="work", username="u", domain="d", handover_uri=handover)
    phone.calls["c1"] = CallView("c1", "work", CallDirection.INBOUND, "sip:caller@x")
    transfers: list[tuple[str, str]] = []
    monkeypatch.setattr(phone, "transfer", lambda call_id, dest: transfers.append((call_id, dest)))
    ai = AiCalls(phone, settings, VoiceModels(settings))
    problems: list[str] = []
    ai.problem.connect(lambda _call, text: problems.append(text))
    request = TransferRequested(TransferReason.CALLER_ASKED, "a person please", "", 0.0)
    ai._on_engine_event("c1", mode, request)
    assert transfers == expected
    assert problems and "asked for a person" in problems[0]
