"""The speech gate before every recogniser: audio with too little speech is not decoded at all
(Whisper turns silence and noise into sentences; either model wastes time on it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from earpiece.core.audio.pcm import duration_s
from earpiece.core.interfaces import Transcript

if TYPE_CHECKING:
    from earpiece.core.audio.vad import VoiceActivity


class SpeechGate:
    """webrtcvad (aggressiveness 2) over the buffer; under `min_voiced_ms` of speech is silence.

    The detector is made on first use: a recognition worker decodes what its caller's gate let
    through and never gates, so it does not import the voice-activity stage (whose module loads
    ONNX Runtime for Silero)."""

    def __init__(self, min_voiced_ms: int = 120) -> None:
        self._min_voiced_ms = min_voiced_ms
        self._vad: VoiceActivity | None = None

    def silent(self, pcm16k: bytes) -> Transcript | None:
        """The empty transcript when `pcm16k` holds too little speech, else None."""
        if self._vad is None:
            from earpiece.core.audio.vad import VoiceActivity

            self._vad = VoiceActivity(aggressiveness=2)
        if self._vad.voiced_ms(pcm16k) < self._min_voiced_ms:
            return Transcript("", no_speech_prob=1.0, audio_s=duration_s(pcm16k))
        return None
