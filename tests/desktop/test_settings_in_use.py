"""Settings saved in the Settings dialog are the ones every part of the window uses from then on: the
call controller's next sessions, the spoken-suggestions toggle and the idle selectors follow at once."""

from __future__ import annotations

import json

import pytest
from pytestqt.qtbot import QtBot

from earpiece.core.settings import CallMode, settings_path
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.settings.dialog import SettingsDialog

pytestmark = pytest.mark.gui


def test_settings_saved_in_the_dialog_reach_the_controller_and_the_call_view(
        qtbot: QtBot, window: MainWindow) -> None:
    controller = window.ai.controller
    assert controller is not None and not controller.settings.ui.whisper_to_agent
    dialog = SettingsDialog(window.settings_store, window)
    qtbot.addWidget(dialog)
    dialog.turn_taking.whisper.setChecked(True)
    dialog.turn_taking.default_mode.setCurrentIndex(
        dialog.turn_taking.default_mode.findData(CallMode.AUTONOMOUS.value))
    with qtbot.waitSignal(dialog.accepted, timeout=5000):
        dialog.accept()
    assert controller.settings is window.settings  # the next calls' sessions are set up with these
    ui = controller.settings.ui
    assert ui.whisper_to_agent and ui.default_mode is CallMode.AUTONOMOUS
    assert window.copilot.whisper.isChecked()
    assert window.copilot.mode.currentData() == CallMode.AUTONOMOUS.value  # no call: the next call's mode
    saved = json.loads(settings_path().read_text())
    assert saved == {"ui": {"default_mode": "autonomous", "whisper_to_agent": True}}
