"""Voice activity on 20 ms frames with webrtcvad (about 2 µs per frame), or Silero VAD by setting."""

from __future__ import annotations

from typing import Protocol

import webrtcvad

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS, SAMPLE_RATE, AudioFrame
from earpiece.core.audio.turn_settings import TurnSettings, VadEngine


class FrameVoiceActivity(Protocol):
    def is_speech(self, frame: AudioFrame) -> bool:
        """Is this 20 ms frame speech?"""
        ...


class VoiceActivity:
    """Is this 20 ms frame speech? `aggressiveness` 0 (lenient) to 3 (strict about noise)."""

    def __init__(self, aggressiveness: int = 2) -> None:
        if not 0 <= aggressiveness <= 3:
            raise ValueError(f"VAD aggressiveness is 0 to 3, got {aggressiveness}")
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: AudioFrame) -> bool:
        return bool(self._vad.is_speech(frame.pcm, SAMPLE_RATE))

    def voiced_ms(self, pcm16k: bytes) -> int:
        """How much of a 16 kHz PCM16 buffer is speech (a partial last frame is ignored)."""
        usable = len(pcm16k) - len(pcm16k) % BYTES_PER_FRAME
        voiced = sum(
            bool(self._vad.is_speech(pcm16k[i : i + BYTES_PER_FRAME], SAMPLE_RATE))
            for i in range(0, usable, BYTES_PER_FRAME)
        )
        return voiced * FRAME_MS


def frame_voice_activity(turns: TurnSettings, aggressiveness: int = 2) -> FrameVoiceActivity:
    """The VAD `turns.vad` names; one per audio stream (Silero keeps state between frames)."""
    if turns.vad is VadEngine.SILERO:
        from earpiece.core.audio.silero_vad import SileroVoiceActivity  # and with it ONNX Runtime

        return SileroVoiceActivity(turns.vad_model_path, turns.vad_threshold)
    return VoiceActivity(aggressiveness)
