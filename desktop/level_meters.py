"""In-call level meters: how loud the caller is and how loud the agent's microphone is, from the
call's audio (frame listeners on the SIP audio clock thread; the GUI reads the last level 20 times
a second). Levels in dBFS mapped from -60..0 to the bar. Beside each meter a volume slider (0-200 %):
the caller's level in the headset, and the microphone's level into the call."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QFormLayout, QHBoxLayout, QProgressBar, QSlider, QWidget

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import rms_dbfs
from earpiece.sip.call_audio import CallAudio

FLOOR_DBFS = -60.0


def level_dbfs(pcm: bytes) -> float:
    return max(FLOOR_DBFS, rms_dbfs(pcm))


def bar_value(dbfs: float) -> int:
    return round(100 * (dbfs - FLOOR_DBFS) / -FLOOR_DBFS)


class _Level:
    """The last frame's level, written on the audio thread, read on the GUI thread (one float)."""

    def __init__(self) -> None:
        self.dbfs = FLOOR_DBFS

    def __call__(self, frame: AudioFrame) -> None:
        self.dbfs = level_dbfs(frame.pcm)


class LevelMeters(QWidget):
    volumes_changed = Signal(int, int)  # microphone %, speaker %: moved by the agent

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caller = self._bar("How loud the caller is")
        self.microphone = self._bar("How loud your microphone is")
        self.speaker_volume = self._slider("Volume of the call in your headset")
        self.microphone_volume = self._slider("Volume of your microphone in the call")
        self._levels = (_Level(), _Level())
        self._detach: list[Callable[[], None]] = []
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Caller", self._row(self.caller, self.speaker_volume))
        layout.addRow("Microphone", self._row(self.microphone, self.microphone_volume))
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._show)

    @staticmethod
    def _bar(tip: str) -> QProgressBar:
        bar = QProgressBar()
        bar.setRange(0, 100)
        bar.setTextVisible(False)
        bar.setMaximumHeight(10)
        bar.setToolTip(tip)
        return bar

    def _slider(self, tip: str) -> QSlider:
        slider = QSlider(Qt.Orientation.Horizontal)
        slider.setRange(0, 200)
        slider.setPageStep(25)
        slider.setMaximumWidth(90)
        slider.setToolTip(f"{tip} (100 % = as it comes)")
        slider.valueChanged.connect(
            lambda _v: self.volumes_changed.emit(self.microphone_volume.value(), self.speaker_volume.value()))
        return slider

    @staticmethod
    def _row(bar: QProgressBar, slider: QSlider) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(bar, 1)
        layout.addWidget(slider)
        return row

    def show_volumes(self, microphone: int, speaker: int) -> None:
        """Set the sliders from the settings without reporting it as the agent's change."""
        for slider, value in ((self.microphone_volume, microphone), (self.speaker_volume, speaker)):
            slider.blockSignals(True)
            slider.setValue(value)
            slider.blockSignals(False)

    def attach(self, audio: CallAudio) -> None:
        """Follow this call's audio (the previous call's is let go)."""
        self.detach()
        caller, microphone = self._levels
        for level in self._levels:
            level.dbfs = FLOOR_DBFS
        self._detach += [audio.add_frame_listener(caller), audio.agent.add_frame_listener(microphone)]
        self._timer.start()

    def detach(self) -> None:
        for remove in self._detach:
            remove()
        self._detach.clear()
        self._timer.stop()
        for level in self._levels:
            level.dbfs = FLOOR_DBFS
        self._show()

    def _show(self) -> None:
        self.caller.setValue(bar_value(self._levels[0].dbfs))
        self.microphone.setValue(bar_value(self._levels[1].dbfs))
