"""Turn-taking: when the caller's turn is over, what counts as an interruption, the default mode;
and the window's own choices (whispered suggestions, minimising to the tray)."""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QComboBox, QFormLayout, QSpinBox, QWidget

from earpiece.core.settings import CallMode, Settings
from earpiece.desktop.settings.page import SettingsPage


def _ms(low: int, high: int, tip: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(50)
    box.setSuffix(" ms")
    box.setToolTip(tip)
    return box


class TurnTakingPage(SettingsPage):
    title = "Turn-taking"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.end_of_turn = _ms(200, 3000, "Silence after which the caller's turn is over. Longer waits "
                                          "less often cut people off (e.g. reading out numbers).")
        self.barge_in = _ms(100, 3000, "Speech shorter than this (uh-huh, coughs) does not interrupt "
                                       "the reply.")
        self.preroll = _ms(0, 1000, "Audio kept from before speech was detected.")
        self.aggressiveness = QSpinBox()
        self.aggressiveness.setRange(0, 3)
        self.aggressiveness.setToolTip("Voice activity detector: 0 hears the most as speech, 3 the least.")
        self.default_mode = QComboBox()
        for mode in CallMode:
            self.default_mode.addItem(mode.value.capitalize(), mode.value)
        self.whisper = QCheckBox("Whisper suggestions into my headset by default")
        self.minimise_to_tray = QCheckBox("Minimising hides Earpiece to its tray icon")
        self.minimise_to_tray.setToolTip("Calls still ring; click the icon to bring the window back.")
        form = QFormLayout(self)
        form.addRow("End of turn after silence of", self.end_of_turn)
        form.addRow("Interrupt the reply after speech of", self.barge_in)
        form.addRow("Speech pre-roll", self.preroll)
        form.addRow("Voice detector strictness", self.aggressiveness)
        form.addRow("Default mode for new calls", self.default_mode)
        form.addRow("", self.whisper)
        form.addRow("", self.minimise_to_tray)

    def load(self, settings: Settings) -> None:
        self.end_of_turn.setValue(settings.vad.end_of_turn_ms)
        self.barge_in.setValue(settings.vad.barge_in_min_ms)
        self.preroll.setValue(settings.vad.preroll_ms)
        self.aggressiveness.setValue(settings.vad.aggressiveness)
        self.default_mode.setCurrentIndex(self.default_mode.findData(settings.ui.default_mode.value))
        self.whisper.setChecked(settings.ui.whisper_to_agent)
        self.minimise_to_tray.setChecked(settings.ui.minimise_to_tray)

    def apply(self, settings: Settings) -> None:
        settings.vad.end_of_turn_ms = self.end_of_turn.value()
        settings.vad.barge_in_min_ms = self.barge_in.value()
        settings.vad.preroll_ms = self.preroll.value()
        settings.vad.aggressiveness = self.aggressiveness.value()
        settings.ui.default_mode = CallMode(self.default_mode.currentData())
        settings.ui.whisper_to_agent = self.whisper.isChecked()
        settings.ui.minimise_to_tray = self.minimise_to_tray.isChecked()
