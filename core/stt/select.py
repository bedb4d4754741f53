"""The recogniser the settings name: `stt.model` picks the model, `stt.workers` where it runs."""

from __future__ import annotations

from collections.abc import Iterable

from earpiece.core.interfaces import SpeechToText
from earpiece.core.settings import SttSettings
from earpiece.core.stt.pool import PooledSpeechToText, in_process_recogniser, recogniser_model

__all__ = ["recogniser_model", "speech_to_text"]


def speech_to_text(settings: SttSettings, *, vocabulary: Iterable[str] = ()) -> SpeechToText:
    """`stt.model = "moonshine-tiny"` selects Moonshine (which takes no vocabulary); any other
    value is a bundled Whisper name or a CTranslate2 folder for faster-whisper. With `stt.workers`
    above 0 the model runs in the process's pool of that many workers, else in this process."""
    if settings.workers > 0:
        return PooledSpeechToText(settings, vocabulary=vocabulary)
    return in_process_recogniser(settings, vocabulary=vocabulary)
