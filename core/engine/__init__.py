"""The voice engine: one `CallSession` per call turns 20 ms frames into transcripts, answers,
reply audio and typed events. Build the stages with `factory.build_voice_stack`.

The session (`session.py`) is thin: listening (`listening.py`), the autonomous and copilot
policies (`autonomous.py`, `copilot.py`, switchable mid-call through `policy.py`) and Earpiece's
voice with its `Reply` handles (`reply.py`) do the work; `answering.py` turns a question into
guarded sentences."""

from earpiece.core.engine.answering import Answer, Answerer, Retrieval
from earpiece.core.engine.bus import EventBus, Observer
from earpiece.core.engine.config import EngineConfig, VoiceStack
from earpiece.core.engine.events import (
    BargeInAction,
    BargeInEvent,
    BotSpeakingStarted,
    BotSpeakingStopped,
    CallEnded,
    EngineEvent,
    HangUpReason,
    HangUpRequested,
    ModeChanged,
    SourceRef,
    Speaker,
    StageError,
    SuggestionEvent,
    TranscriptEvent,
    TransferReason,
    TransferRequested,
    TurnMetricsEvent,
)
from earpiece.core.engine.metrics import STAGE_LABELS, TurnMetrics
from earpiece.core.engine.record import CallRecorder, calls_dir
from earpiece.core.engine.reply import Reply
from earpiece.core.engine.session import CallSession

__all__ = [
    "STAGE_LABELS",
    "Answer",
    "Answerer",
    "BargeInAction",
    "BargeInEvent",
    "BotSpeakingStarted",
    "BotSpeakingStopped",
    "CallEnded",
    "CallRecorder",
    "CallSession",
    "EngineConfig",
    "EngineEvent",
    "EventBus",
    "HangUpReason",
    "HangUpRequested",
    "ModeChanged",
    "Observer",
    "Reply",
    "Retrieval",
    "SourceRef",
    "Speaker",
    "StageError",
    "SuggestionEvent",
    "TranscriptEvent",
    "TransferReason",
    "TransferRequested",
    "TurnMetrics",
    "TurnMetricsEvent",
    "VoiceStack",
    "calls_dir",
]
