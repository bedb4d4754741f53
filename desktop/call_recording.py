"""Call recording as the agent controls it: Record / Stop per call, or every answered call when
`audio.record_calls` is on. The file is `data_dir()/calls/<call id>.wav`, beside the call's record
(deleting the call deletes it too); recording again after a stop adds `<call id>.part2.wav` and so on,
never overwriting. `changed` drives the on-screen indicators."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from earpiece.core.engine.record import calls_dir
from earpiece.core.settings import SettingsStore
from earpiece.desktop.call_view import CallView
from earpiece.desktop.engine_audio import run_command
from earpiece.desktop.phone import Phone
from earpiece.desktop.tasks import spawn


def recording_path(call_id: str, part: int = 1) -> Path:
    return calls_dir() / (f"{call_id}.wav" if part == 1 else f"{call_id}.part{part}.wav")


def recordings(call_id: str) -> list[Path]:
    """The call's recordings that exist, in the order they were made."""
    found: list[Path] = []
    while (path := recording_path(call_id, len(found) + 1)).is_file():
        found.append(path)
    return found


class CallRecorder(QObject):
    changed = Signal(str, bool)  # call id, being recorded now

    def __init__(self, phone: Phone, store: SettingsStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.phone = phone
        self.settings_store = store
        self.recording: dict[str, Path] = {}  # calls being recorded, and their files
        phone.call_answered.connect(self._answered)
        phone.call_ended.connect(self._ended)

    def is_recording(self, call_id: str) -> bool:
        return call_id in self.recording

    def set_recording(self, call_id: str, on: bool) -> None:
        if on != self.is_recording(call_id):
            spawn(self._start(call_id) if on else self._stop(call_id))

    async def _start(self, call_id: str) -> None:
        engine = self.phone.engine
        if engine is None or call_id not in self.phone.calls:
            return
        path = recording_path(call_id, len(recordings(call_id)) + 1)
        ok, _ = await run_command(self.phone, "Recording", engine.start_recording(call_id, path))
        if ok and call_id in self.phone.calls:
            self.recording[call_id] = path
            self.phone.message.emit(f"Recording this call to {path}")
        self.changed.emit(call_id, self.is_recording(call_id))  # a failed start unticks the button

    async def _stop(self, call_id: str) -> None:
        engine = self.phone.engine
        if engine is not None and call_id in self.recording:
            await run_command(self.phone, "Stopping the recording", engine.stop_recording(call_id))
        path = self.recording.pop(call_id, None)  # None: the call ended meanwhile and said so
        if path is not None:
            self.phone.message.emit(f"Recording saved: {path}")
            self.changed.emit(call_id, False)

    def _answered(self, call: CallView) -> None:
        if self.settings_store.current.audio.record_calls:
            self.set_recording(call.call_id, True)

    def _ended(self, call: CallView) -> None:
        """The engine closed the file with the call."""
        path = self.recording.pop(call.call_id, None)
        if path is not None:
            self.phone.message.emit(f"Recording saved: {path}")
            self.changed.emit(call.call_id, False)
