"""Engine commands the window gives beside the phone's own: the codec order and headset volumes from
the settings (at start and whenever they are saved, live calls included). A failed command becomes a
message for the user in plain words."""

from __future__ import annotations

import asyncio
from concurrent.futures import Future
from typing import TypeVar

from earpiece.core.settings import AudioDeviceSettings, Settings
from earpiece.desktop.phone import Phone
from earpiece.desktop.plain_words import command_problem_text
from earpiece.desktop.tasks import spawn

T = TypeVar("T")


async def run_command(phone: Phone, what: str, future: Future[T]) -> tuple[bool, T | None]:
    """Await an engine command: (True, its result), or (False, None) after telling the user why."""
    try:
        return True, await asyncio.wrap_future(future)
    except Exception as exc:  # SipError, ValueError, UnknownCallError, EngineNotRunningError
        phone.message.emit(f"{what} failed: {command_problem_text(str(exc))}")
        return False, None


def apply_engine_audio(phone: Phone, settings: Settings) -> None:
    """Hand the codec order and the headset volumes to the running engine (nothing when stopped)."""
    engine = phone.engine
    if engine is None:
        return
    spawn(run_command(phone, "Choosing the codecs", engine.set_codec_order(settings.sip.codec_order)))
    apply_volume(phone, settings.audio)


def apply_volume(phone: Phone, audio: AudioDeviceSettings) -> None:
    """The headset volumes of `audio` (percent) to the running engine, live calls included."""
    engine = phone.engine
    if engine is not None:
        spawn(run_command(phone, "Setting the headset volume",
                          engine.set_volume(audio.microphone_volume / 100, audio.speaker_volume / 100)))
