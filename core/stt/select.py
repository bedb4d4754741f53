"""The recogniser that `stt.model` names: a Moonshine model, else faster-whisper."""

from __future__ import annotations

from collections.abc import Iterable

from earpiece.core.interfaces import SpeechToText
from earpiece.core.settings import SttSettings
from earpiece.core.stt.moonshine import MOONSHINE_MODELS, MoonshineSpeechToText
from earpiece.core.stt.whisper import WhisperSpeechToText


def speech_to_text(settings: SttSettings, *, vocabulary: Iterable[str] = ()) -> SpeechToText:
    """`stt.model = "moonshine-tiny"` selects Moonshine (which takes no vocabulary); any other
    value is a bundled Whisper name or a CTranslate2 folder for faster-whisper."""
    if settings.model in MOONSHINE_MODELS:
        return MoonshineSpeechToText(settings.model)
    return WhisperSpeechToText(settings, vocabulary=vocabulary)
