"""Audio: headset input and output by name, their volumes, a test tone and an input level meter,
the codecs calls offer (ticked, in order) and whether every call is recorded."""

from __future__ import annotations

import logging
import threading

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QHideEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QSlider,
    QWidget,
)

from earpiece.core.settings import Settings
from earpiece.desktop.plain_words import device_problem_text
from earpiece.desktop.settings.page import SettingsPage
from earpiece.desktop.settings.provider_order import ProviderOrder
from earpiece.desktop.sounds import Player, tone

log = logging.getLogger(__name__)

# The codecs of the pjsua2 wheel (no Opus), as PJSIP names them, in words.
CODEC_LABELS = {
    "G722/16000/1": "G.722 (wideband, 16 kHz)",
    "PCMU/8000/1": "G.711 µ-law (PCMU)",
    "PCMA/8000/1": "G.711 A-law (PCMA)",
    "speex/16000/1": "Speex 16 kHz",
    "speex/32000/1": "Speex 32 kHz",
    "speex/8000/1": "Speex 8 kHz",
    "GSM/8000/1": "GSM",
    "iLBC/8000/1": "iLBC",
}


class VolumeSlider(QWidget):
    """0-200 % with the value shown beside it (100 % = the level as it comes)."""

    def __init__(self, tooltip: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.slider = QSlider(Qt.Orientation.Horizontal)
        self.slider.setRange(0, 200)
        self.slider.setSingleStep(5)
        self.slider.setPageStep(25)
        self.slider.setToolTip(tooltip)
        self.value_label = QLabel()
        self.value_label.setMinimumWidth(self.value_label.fontMetrics().horizontalAdvance("200 %"))
        self.slider.valueChanged.connect(lambda v: self.value_label.setText(f"{v} %"))
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_label)

    def value(self) -> int:
        return self.slider.value()

    def set_value(self, percent: int) -> None:
        self.slider.setValue(percent)
        self.value_label.setText(f"{percent} %")


def list_devices() -> tuple[list[str], list[str], str]:
    """(input names, output names, problem) from PortAudio; never raises."""
    try:
        import sounddevice as sd

        devices = list(sd.query_devices())
    except Exception as exc:
        return [], [], f"Audio devices cannot be listed: {device_problem_text(str(exc))}."
    inputs = [str(d["name"]) for d in devices if d["max_input_channels"] > 0]
    outputs = [str(d["name"]) for d in devices if d["max_output_channels"] > 0]
    problem = "" if devices else "No audio devices were found; calls still work (AI and transcript)."
    return inputs, outputs, problem


def _device_box(names: list[str]) -> QComboBox:
    box = QComboBox()
    box.addItem("System default", "")
    box.addItem("None", "none")
    for name in names:
        box.addItem(name, name)
    return box


def _select(box: QComboBox, name: str) -> None:
    index = box.findData(name)
    if index < 0:  # remembered device not plugged in now: keep it, marked
        box.addItem(f"{name} (not connected)", name)
        index = box.count() - 1
    box.setCurrentIndex(index)


class LevelMeter:
    """Reads the input device in PortAudio's thread; the GUI polls `level` with a timer."""

    def __init__(self) -> None:
        self.level = 0.0
        self._stream: object | None = None
        self._lock = threading.Lock()

    def start(self, device: str) -> str:
        self.stop()
        try:
            import sounddevice as sd

            def callback(data: np.ndarray, _frames: int, _time: object, _status: object) -> None:
                self.level = float(np.sqrt(np.mean(np.square(data, dtype=np.float64))))

            stream = sd.InputStream(device=device or None, channels=1, samplerate=16000, callback=callback)
            stream.start()
        except Exception as exc:
            return f"Cannot open the microphone: {device_problem_text(str(exc))}."
        self._stream = stream
        return ""

    def stop(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.stop()  # type: ignore[attr-defined]
                stream.close()  # type: ignore[attr-defined]
            except Exception as exc:
                log.debug("closing the level meter stream: %s", exc)
        self.level = 0.0


class AudioPage(SettingsPage):
    title = "Audio"

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        inputs, outputs, problem = list_devices()
        self.input = _device_box(inputs)
        self.output = _device_box(outputs)
        self.ringtone = QCheckBox("Play a ringtone for incoming calls")
        self.microphone_volume = VolumeSlider("How loud your microphone goes into calls (also during a call)")
        self.speaker_volume = VolumeSlider("How loud calls play in your headset (also during a call)")
        self.codecs = ProviderOrder(tuple(CODEC_LABELS), CODEC_LABELS)
        self.codecs.setToolTip("Ticked codecs are offered, the top one first (drag to reorder); an incoming "
                               "call takes the caller's preference among them. Applies to the next calls.")
        self.record_calls = QCheckBox("Record every call (a WAV file kept with the call)")
        self.record_calls.setToolTip("Without this, record a single call with Record in the call controls. "
                                     "Tell the other party: recording may need their consent.")
        self.test_button = QPushButton("Play test tone")
        self.test_button.clicked.connect(self.play_test_tone)
        self.meter_button = QPushButton("Test microphone")
        self.meter_button.setCheckable(True)
        self.meter_button.toggled.connect(self._toggle_meter)
        self.meter = QProgressBar()
        self.meter.setRange(0, 100)
        self.meter.setTextVisible(False)
        self.status = QLabel(problem)
        self.status.setWordWrap(True)
        self._level = LevelMeter()
        self._timer = QTimer(self)
        self._timer.setInterval(50)
        self._timer.timeout.connect(self._show_level)
        meter_row = QHBoxLayout()
        meter_row.addWidget(self.meter_button)
        meter_row.addWidget(self.meter, 1)
        form = QFormLayout(self)
        form.addRow("Headset microphone", self.input)
        form.addRow("Headset speaker", self.output)
        form.addRow("Microphone volume", self.microphone_volume)
        form.addRow("Speaker volume", self.speaker_volume)
        form.addRow("", self.test_button)
        form.addRow("Input level", meter_row)
        form.addRow("", self.ringtone)
        form.addRow("Codecs", self.codecs)
        form.addRow("", self.record_calls)
        form.addRow(self.status)

    def load(self, settings: Settings) -> None:
        _select(self.input, settings.audio.input_device)
        _select(self.output, settings.audio.output_device)
        self.ringtone.setChecked(settings.audio.ringtone)
        self.microphone_volume.set_value(settings.audio.microphone_volume)
        self.speaker_volume.set_value(settings.audio.speaker_volume)
        self.codecs.set_order(settings.sip.codec_order)
        self.record_calls.setChecked(settings.audio.record_calls)

    def apply(self, settings: Settings) -> None:
        settings.audio.input_device = self.input.currentData()
        settings.audio.output_device = self.output.currentData()
        settings.audio.ringtone = self.ringtone.isChecked()
        settings.audio.microphone_volume = self.microphone_volume.value()
        settings.audio.speaker_volume = self.speaker_volume.value()
        settings.sip.codec_order = self.codecs.order()
        settings.audio.record_calls = self.record_calls.isChecked()

    def problems(self) -> list[str]:
        return [] if self.codecs.order() else ["Audio: tick at least one codec, or no call can be made."]

    def play_test_tone(self) -> None:
        if not Player(self.output.currentData()).play(tone(440, 1.0)):
            self.status.setText("The test tone could not be played on this device.")

    def _toggle_meter(self, on: bool) -> None:
        if on:
            problem = self._level.start(self.input.currentData())
            if problem:
                self.status.setText(problem)
                self.meter_button.setChecked(False)
                return
            self._timer.start()
        else:
            self._timer.stop()
            self._level.stop()
            self.meter.setValue(0)

    def _show_level(self) -> None:
        # dBFS from -60 to 0 mapped onto the bar
        db = 20 * np.log10(max(self._level.level, 1e-6))
        self.meter.setValue(int(max(0.0, min(100.0, (db + 60) / 60 * 100))))

    def hideEvent(self, event: QHideEvent) -> None:
        self.meter_button.setChecked(False)
        super().hideEvent(event)
