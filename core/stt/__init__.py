"""Speech to text: faster-whisper with guards against hallucination on silence and noise."""

from earpiece.core.stt.whisper import (
    KNOWN_HALLUCINATIONS,
    WhisperSpeechToText,
    hotwords_from_vocabulary,
    load_whisper_model,
)

__all__ = ["KNOWN_HALLUCINATIONS", "WhisperSpeechToText", "hotwords_from_vocabulary", "load_whisper_model"]
