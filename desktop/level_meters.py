"""In-call level meters: how loud the caller is and how loud the agent's microphone is, from the
call's audio (frame listeners on the SIP audio clock thread; the GUI reads the last level 20 times
a second). Levels in dBFS mapped from -60..0 to the bar."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QFormLayout, QProgressBar, QWidget

from earpiece.core.audio.frames import AudioFrame
from earpiece.sip.call_audio import CallAudio

FLOOR_DBFS = -60.0


def level_dbfs(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    rms = float(np.sqrt(np.mean(samples * samples))) if samples.size else 0.0
    return max(FLOOR_DBFS, 20 * float(np.log10(max(rms, 1e-9))))


def bar_value(dbfs: float) -> int:
    return round(100 * (dbfs - FLOOR_DBFS) / -FLOOR_DBFS)


class _Level:
    """The last frame's level, written on the audio thread, read on the GUI thread (one float)."""

    def __init__(self) -> None:
        self.dbfs = FLOOR_DBFS

    def __call__(self, frame: AudioFrame) -> None:
        self.dbfs = level_dbfs(frame.pcm)


class LevelMeters(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caller = self._bar("How loud the caller is")
        self.microphone = self._bar("How loud your microphone is")
        self._levels = (_Level(), _Level())
        self._detach: list[Callable[[], None]] = []
        layout = QFormLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addRow("Caller", self.caller)
        layout.addRow("Microphone", self.microphone)
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
