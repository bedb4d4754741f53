"""What a call session is built from: the stages (`VoiceStack`) and the conversation's texts and
timeouts (`EngineConfig`, filled from `Settings.conversation`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from earpiece.core.audio.smart_turn import TurnVerdict
from earpiece.core.audio.turn_settings import TurnSettings
from earpiece.core.engine.answering import Answerer
from earpiece.core.interfaces import SpeechToText, TextToSpeech
from earpiece.core.settings import Settings, VadSettings


class TurnJudge(Protocol):
    """A turn-completion model (`SmartTurnModel`): is this utterance finished? Thread-safe."""

    def judge(self, pcm16k: bytes) -> TurnVerdict: ...


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Conversation behaviour (texts and timeouts) that is not a stage's business. The settings
    documented in `ConversationSettings` arrive here through `from_settings`."""

    greeting: str = "Hello, thank you for calling. How can I help you?"
    reprompt: str = "Are you still there? How can I help you?"
    silence_goodbye: str = "I haven't heard anything, so I'll end the call now. Goodbye!"
    not_caught: str = "Sorry, I didn't catch that. Could you say it again?"
    not_caught_min_voiced_ms: int = 400  # shorter sounds with no words (a cough) get no "say again"
    silence_timeout_s: float = 10.0  # caller silent this long after a reply: reprompt, then hang up
    transfer_digit: str = "0"
    whisper_to_agent: bool = False
    early_stt: bool = True
    early_answer: bool = True  # autonomous: also prepare the reply's first phrase during the pause
    early_pause_ms: int = 200  # silence after which early work starts (below vad.end_of_turn_ms)
    suggestion_min_words: int = 3  # shorter caller utterances ("yes", "okay") get no card
    history_turns: int = 6

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> EngineConfig:
        c = settings.conversation
        values: dict[str, Any] = {
            "greeting": c.greeting,
            "reprompt": c.reprompt,
            "silence_goodbye": c.silence_goodbye,
            "not_caught": c.not_caught,
            "silence_timeout_s": c.silence_timeout_s,
            "history_turns": c.history_turns,
            "whisper_to_agent": settings.ui.whisper_to_agent,
        }
        return cls(**(values | overrides))


@dataclass(slots=True)
class VoiceStack:
    """The stages of a call. STT/TTS models are loaded once per process and shared by stacks.

    `turns` None ends turns by `vad.end_of_turn_ms` of silence (webrtcvad); with
    `turns.endpointing = smart-turn` the session asks `turn_model` at each pause."""

    stt: SpeechToText
    tts: TextToSpeech
    answerer: Answerer
    vad: VadSettings
    turns: TurnSettings | None = None
    turn_model: TurnJudge | None = None
    phrases: tuple[str, ...] = ()  # fixed texts whose audio `warm_up` caches for every call
