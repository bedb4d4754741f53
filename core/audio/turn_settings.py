"""How a turn is declared over: a fixed silence (the timer), a turn-completion model, or the timer
shortened or lengthened by what the speculative transcript says (the transcript check).

`Settings.turns` carries it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Endpointing(StrEnum):
    TIMER = "timer"  # the turn ends after `vad.end_of_turn_ms` of silence
    SMART_TURN = "smart-turn"  # Smart Turn v3 judges the utterance after `model_silence_ms`
    # The pause's speculative transcript is read (`transcript_turn.py`): a complete sentence ends the
    # turn after `complete_silence_ms`, clearly unfinished words wait up to `unfinished_silence_ms`,
    # anything else waits for `vad.end_of_turn_ms` as the timer does.
    TRANSCRIPT = "transcript"


class VadEngine(StrEnum):
    WEBRTC = "webrtc"  # webrtcvad, ~2 µs per frame, `vad.aggressiveness`
    SILERO = "silero"  # Silero VAD v5 ONNX, a neural network, ~0.1-0.3 ms per 32 ms window


class TurnSettings(BaseModel):
    endpointing: Endpointing = Endpointing.SMART_TURN
    model_path: str = ""  # a Smart Turn v3 ONNX file; "" = the one the install step put in the venv
    threshold: float = Field(default=0.5, gt=0.0, lt=1.0)  # probability of "complete" that ends the turn
    model_silence_ms: int = Field(default=200, ge=60)  # silence before the model is asked
    max_silence_ms: int = Field(default=1200, ge=200)  # silence that ends the turn whatever the model said
    threads: int = Field(default=1, ge=1)  # onnxruntime threads per inference
    vad: VadEngine = VadEngine.WEBRTC
    vad_model_path: str = ""  # a Silero VAD v5 ONNX file; "" = the installed one
    vad_threshold: float = Field(default=0.5, gt=0.0, lt=1.0)  # Silero's speech probability
    complete_silence_ms: int = Field(default=560, ge=60)
    """transcript: the least silence after which a transcript judged complete (a question) ends the
    turn; when the transcript is ready later, the turn ends as soon as it is. Above
    `vad.end_of_turn_ms` it has no effect. 560: see the comment at `Settings.turns`."""
    unfinished_silence_ms: int = Field(default=1000, ge=200)
    """transcript: the silence that ends a turn whose transcript is clearly unfinished (it stops
    on a filler, a conjunction, a preposition, an article, a possessive, "number is"...): the
    longest a caller's pause is waited for. Below `vad.end_of_turn_ms` the timer is used instead."""

    @model_validator(mode="after")
    def _silences_in_order(self) -> TurnSettings:
        if self.model_silence_ms >= self.max_silence_ms:
            raise ValueError(
                f"turns.model_silence_ms ({self.model_silence_ms}) must be below "
                f"turns.max_silence_ms ({self.max_silence_ms})"
            )
        if self.complete_silence_ms >= self.unfinished_silence_ms:
            raise ValueError(
                f"turns.complete_silence_ms ({self.complete_silence_ms}) must be below "
                f"turns.unfinished_silence_ms ({self.unfinished_silence_ms})"
            )
        return self
