"""Speech to text: faster-whisper with guards against hallucination on silence and noise, or
Moonshine tiny English; `speech_to_text` picks the one `stt.model` names."""

from earpiece.core.stt.moonshine import MoonshineSpeechToText
from earpiece.core.stt.select import speech_to_text
from earpiece.core.stt.whisper import (
    KNOWN_HALLUCINATIONS,
    WhisperSpeechToText,
    hotwords_from_vocabulary,
    load_whisper_model,
)

__all__ = [
    "KNOWN_HALLUCINATIONS",
    "MoonshineSpeechToText",
    "WhisperSpeechToText",
    "hotwords_from_vocabulary",
    "load_whisper_model",
    "speech_to_text",
]
