"""The call controller's transfer reports reach the window in plain words: the handover address a
caller is sent to, and a failed transfer (the controller apologises to the caller; the transfer
policy itself is tested in tests/core/calls without Qt)."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from earpiece.core.calls.events import TransferChanged, TransferStatus
from earpiece.core.settings import Settings, SettingsStore
from earpiece.desktop.ai_calls import AiCalls
from earpiece.desktop.phone import Phone
from earpiece.desktop.settings_signals import SettingsSignals
from earpiece.desktop.voice_models import VoiceModels

pytestmark = pytest.mark.gui


def _ai_calls() -> AiCalls:
    settings = SettingsSignals(SettingsStore(Settings()))
    return AiCalls(Phone(settings.settings_store), settings, VoiceModels(settings.settings_store))


@pytest.mark.parametrize(("status", "destination", "detail", "expected"), [
    (TransferStatus.STARTED, "sip:team@pbx.example", "asked about refunds",
     "The caller asked for a person: handing over to sip:team@pbx.example"),
    (TransferStatus.FAILED, "", "no transfer destination is configured",
     "The caller asked for a person, but the transfer did not happen (no transfer destination is "
     "configured); Earpiece apologised to the caller."),
])
def test_transfer_reports_become_messages(qtbot: QtBot, status: TransferStatus, destination: str, detail: str,
                                          expected: str) -> None:
    ai = _ai_calls()
    with qtbot.waitSignal(ai.problem) as shown:
        ai._on_controller_event(TransferChanged("c1", status, destination, detail))
    assert shown.args == ["c1", expected]


def test_a_finished_transfer_is_left_to_the_phone_message(qtbot: QtBot) -> None:
    ai = _ai_calls()
    with qtbot.assertNotEmitted(ai.problem):
        ai._on_controller_event(TransferChanged("c1", TransferStatus.SUCCEEDED, "sip:team@pbx.example", ""))
