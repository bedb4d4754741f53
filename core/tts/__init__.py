"""Text to speech: Piper (offline) and edge-tts, a fallback chain, fixed phrases played from
memory, sentence splitting and normalisation for speech. Every provider yields 16 kHz mono PCM16."""

from earpiece.core.tts.edge import EdgeTextToSpeech, EdgeTtsError
from earpiece.core.tts.fallback import FallbackTextToSpeech, TextToSpeechError, TtsFailure
from earpiece.core.tts.normalize import normalize_for_speech, strip_markdown
from earpiece.core.tts.phrases import ONE_MOMENT, CachedTextToSpeech, PhraseCache
from earpiece.core.tts.piper import PiperTextToSpeech, load_piper_voice
from earpiece.core.tts.providers import PROVIDER_NAMES, build_text_to_speech
from earpiece.core.tts.sentences import SentenceBuffer, speak_text, split_sentences
from earpiece.core.tts.stream import Served, SpeechStream

__all__ = [
    "ONE_MOMENT",
    "PROVIDER_NAMES",
    "CachedTextToSpeech",
    "EdgeTextToSpeech",
    "EdgeTtsError",
    "FallbackTextToSpeech",
    "PhraseCache",
    "PiperTextToSpeech",
    "SentenceBuffer",
    "Served",
    "SpeechStream",
    "TextToSpeechError",
    "TtsFailure",
    "build_text_to_speech",
    "load_piper_voice",
    "normalize_for_speech",
    "speak_text",
    "split_sentences",
    "strip_markdown",
]
