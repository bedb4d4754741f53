"""Speech to text: faster-whisper with guards against hallucination on silence and noise, or
Moonshine tiny English, in this process or in a pool of worker processes; `speech_to_text` picks
what `stt.model` and `stt.workers` name."""

from earpiece.core.stt.moonshine import MoonshineSpeechToText
from earpiece.core.stt.pool import PooledSpeechToText, WorkerRun, close_pools, in_process_recogniser
from earpiece.core.stt.select import recogniser_model, speech_to_text
from earpiece.core.stt.whisper import (
    KNOWN_HALLUCINATIONS,
    WhisperSpeechToText,
    hotwords_from_vocabulary,
    load_whisper_model,
)

__all__ = [
    "KNOWN_HALLUCINATIONS",
    "MoonshineSpeechToText",
    "PooledSpeechToText",
    "WhisperSpeechToText",
    "WorkerRun",
    "close_pools",
    "hotwords_from_vocabulary",
    "in_process_recogniser",
    "load_whisper_model",
    "recogniser_model",
    "speech_to_text",
]
