"""Call recording with its indicator, and the Audio settings' volume sliders and codec order, used in
the window during real calls to baresip over 127.0.0.1 (the AI is off)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from earpiece.desktop.call_recording import recording_path, recordings
from earpiece.desktop.main_window import MainWindow
from earpiece.desktop.phone_panel import RECORDING_MARK
from earpiece.desktop.settings.dialog import SettingsDialog
from tests.desktop.conftest import connected_call
from tests.desktop.widgets import cell
from tests.peers.baresip import Baresip

pytestmark = [pytest.mark.gui, pytest.mark.peers]

CALLER_HZ = 440
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _tone_wav(path: Path, rate: int = 16000, seconds: float = 20.0) -> Path:
    t = np.arange(int(rate * seconds)) / rate
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes((np.sin(2 * np.pi * CALLER_HZ * t) * 0.3 * 32767).astype("<i2").tobytes())
    return path


def _complete_wav(path: Path) -> tuple[np.ndarray, int] | None:
    """The samples and rate once PJSIP closed the file (it does so on its clock thread), else None."""
    try:
        with wave.open(str(path), "rb") as wav:
            samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2")
            return (samples, wav.getframerate()) if len(samples) else None
    except (OSError, EOFError, wave.Error):
        return None


def _caller_tone_share(samples: np.ndarray, rate: int) -> float:
    """How much of the recording's energy is the caller's 440 Hz tone (0-1)."""
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2
    freqs = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spectrum[np.abs(freqs - CALLER_HZ) < 20].sum() / max(spectrum.sum(), 1e-9))


def test_record_button_records_the_call_and_shows_it_clearly(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    with Baresip("bob", auto_answer=True, source_wav=_tone_wav(tmp_path / "tone.wav")) as bob:
        call = connected_call(qtbot, window, bob)
        panel = window.phone_panel
        assert panel.record_button.isEnabled() and panel.record_button.text() == "Record"
        assert panel.recording_label.isHidden()
        panel.record_button.click()
        qtbot.waitUntil(lambda: window.recorder.is_recording(call.call_id), timeout=5_000)
        assert panel.record_button.isChecked() and panel.record_button.text() == "Stop recording"
        assert panel.recording_label.isVisible() and RECORDING_MARK in panel.recording_label.text()
        assert RECORDING_MARK in panel.calls.currentItem().text()
        assert window.recording_indicator.isVisible()  # in the status bar, whatever is scrolled
        window.resize(1024, 640)  # for a person to look at: the call controls while recording
        qtbot.wait(200)
        ARTIFACTS.mkdir(exist_ok=True)
        window.grab().save(str(ARTIFACTS / "desktop-call-recording-1024x640.png"))
        qtbot.wait(1300)
        panel.record_button.click()  # stop: the call goes on
        qtbot.waitUntil(lambda: not window.recorder.is_recording(call.call_id), timeout=5_000)
        assert panel.recording_label.isHidden() and RECORDING_MARK not in panel.calls.currentItem().text()
        assert window.recording_indicator.isHidden()
        assert panel.record_button.text() == "Record" and call.call_id in window.phone.calls
        path = recording_path(call.call_id)
        qtbot.waitUntil(lambda: _complete_wav(path) is not None, timeout=3_000)
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
    recorded = _complete_wav(path)
    assert recorded is not None
    samples, rate = recorded
    assert 1.0 < len(samples) / rate < 3.0  # from Record to Stop, not the whole call
    assert _caller_tone_share(samples, rate) > 0.5, "the caller is not in the recording"
    history = window.history  # the call's line says it was recorded, and opening it offers the file
    assert history.records[0].call_id == call.call_id
    assert cell(history.history, 0, 4).endswith("(recorded)")
    history.open_call(0)
    notice = history.notice
    assert notice is not None and str(path) in notice.text()
    assert "Play recording" in [b.text() for b in notice.buttons()], [b.text() for b in notice.buttons()]
    notice.close()


def test_every_call_is_recorded_when_the_setting_is_on(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    window.settings_signals.change("audio", record_calls=True)
    with Baresip("bob", auto_answer=True, source_wav=_tone_wav(tmp_path / "tone.wav")) as bob:
        call = connected_call(qtbot, window, bob)
        qtbot.waitUntil(lambda: window.recorder.is_recording(call.call_id), timeout=5_000)
        assert window.phone_panel.recording_label.isVisible()
        qtbot.wait(1000)
        window.call_actions.record.trigger()  # Ctrl+Shift+R: stop, and again: record on
        qtbot.waitUntil(lambda: not window.recorder.is_recording(call.call_id), timeout=5_000)
        window.call_actions.record.trigger()
        qtbot.waitUntil(lambda: window.recorder.is_recording(call.call_id), timeout=5_000)
        qtbot.wait(1000)  # a second of the second part
        said: list[str] = []
        window.phone.message.connect(said.append)
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
    second = recording_path(call.call_id, 2)  # recorded again after a stop: the first is kept
    assert not window.recorder.is_recording(call.call_id) and window.phone_panel.recording_label.isHidden()
    assert f"Recording saved: {second}" in said
    qtbot.waitUntil(lambda: _complete_wav(second) is not None, timeout=3_000)
    assert recordings(call.call_id) == [recording_path(call.call_id), second]
    for path in recordings(call.call_id):
        recorded = _complete_wav(path)
        assert recorded is not None and _caller_tone_share(*recorded) > 0.5


def test_volume_sliders_and_codec_order_from_settings_reach_the_engine(
        qtbot: QtBot, window: MainWindow, tmp_path: Path) -> None:
    dialog = SettingsDialog(window.settings_store, window)
    qtbot.addWidget(dialog)
    audio = dialog.audio
    assert audio.microphone_volume.value() == 100 and audio.speaker_volume.value() == 100
    assert audio.codecs.order() == ["G722/16000/1", "PCMU/8000/1", "PCMA/8000/1"]
    audio.microphone_volume.slider.setValue(50)
    audio.speaker_volume.slider.setValue(150)
    assert audio.speaker_volume.value_label.text() == "150 %"
    pcma = next(audio.codecs.item(row) for row in range(audio.codecs.count())
                if audio.codecs.item(row).data(0x0100) == "PCMA/8000/1")  # Qt.ItemDataRole.UserRole
    audio.codecs.takeItem(audio.codecs.row(pcma))
    audio.codecs.insertItem(0, pcma)  # as if dragged to the top
    assert audio.codecs.order()[0] == "PCMA/8000/1"
    new = window.settings.model_copy(deep=True)
    audio.apply(new)
    window.settings_store.replace(new)
    engine = window.phone.engine
    assert engine is not None
    qtbot.waitUntil(lambda: engine.volume == (0.5, 1.5), timeout=5_000)
    narrowband = _tone_wav(tmp_path / "tone-8k.wav", rate=8000)  # baresip's aufile needs the codec's rate
    with Baresip("bob", auto_answer=True, source_wav=narrowband) as bob:
        call = connected_call(qtbot, window, bob)
        assert call.codec == "PCMA/8000"
        meters = window.phone_panel.levels  # in the call, the sliders beside the meters
        assert (meters.microphone_volume.value(), meters.speaker_volume.value()) == (50, 150)
        meters.speaker_volume.setValue(80)
        qtbot.waitUntil(lambda: engine.volume == (0.5, 0.8), timeout=5_000)
        assert window.settings.audio.speaker_volume == 80  # kept for the next start
        with qtbot.waitSignal(window.phone.call_ended, timeout=10_000):
            window.hangup_action.trigger()
    for page in dialog.pages:  # nothing ticked: the dialog says what to fix instead of saving
        page.load(window.settings)
    for row in range(audio.codecs.count()):
        audio.codecs.item(row).setCheckState(audio.codecs.item(row).checkState().Unchecked)
    assert audio.problems() == ["Audio: tick at least one codec, or no call can be made."]
