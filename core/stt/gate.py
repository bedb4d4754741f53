"""The speech gate before every recogniser: audio with too little speech is not decoded at all
(Whisper turns silence and noise into sentences; either model wastes time on it)."""

from __future__ import annotations

from earpiece.core.audio.pcm import duration_s
from earpiece.core.audio.vad import VoiceActivity
from earpiece.core.interfaces import Transcript


class SpeechGate:
    """webrtcvad (aggressiveness 2) over the buffer; under `min_voiced_ms` of speech is silence."""

    def __init__(self, min_voiced_ms: int = 120) -> None:
        self._min_voiced_ms = min_voiced_ms
        self._vad = VoiceActivity(aggressiveness=2)

    def silent(self, pcm16k: bytes) -> Transcript | None:
        """The empty transcript when `pcm16k` holds too little speech, else None."""
        if self._vad.voiced_ms(pcm16k) < self._min_voiced_ms:
            return Transcript("", no_speech_prob=1.0, audio_s=duration_s(pcm16k))
        return None
