"""What a call session reports, as typed events. Observers (the desktop panels, the call record,
the SIP layer for transfers and hang-ups) read them outside the pipeline; nothing flows back."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from earpiece.core.engine.metrics import TurnMetrics


class Speaker(StrEnum):
    CALLER = "caller"
    AGENT = "agent"  # the human agent (copilot mode)
    ASSISTANT = "assistant"  # Earpiece speaking into the call (autonomous mode)


@dataclass(frozen=True, slots=True)
class TranscriptEvent:
    speaker: Speaker
    text: str
    final: bool  # False: an early transcript made while the speaker paused (turn_id 0)
    at: float  # time.monotonic() when the text was available
    turn_id: int = 0


@dataclass(frozen=True, slots=True)
class SourceRef:
    source: str
    title: str
    score: float
    excerpt: str


@dataclass(frozen=True, slots=True)
class SuggestionEvent:
    """A knowledge card for the human agent (copilot mode).

    Below the confidence threshold `confident` is False and `answer` is empty: the card says "no
    confident answer" and shows the nearest passages (`sources`) greyed out.
    """

    question: str
    answer: str
    sources: tuple[SourceRef, ...]
    provider: str
    turn_id: int
    at: float
    confidence: float = 0.0  # the selector's confidence in [0, 1]
    confident: bool = True


@dataclass(frozen=True, slots=True)
class BotSpeakingStarted:
    turn_id: int
    at: float
    text: str  # the first sentence


@dataclass(frozen=True, slots=True)
class BotSpeakingStopped:
    turn_id: int
    at: float
    interrupted: bool  # True: the caller barged in


class BargeInAction(StrEnum):
    PAUSE = "pause"  # playback paused at the caller's speech onset
    RESUME = "resume"  # it was a backchannel: playback continues
    INTERRUPT = "interrupt"  # the reply is abandoned


@dataclass(frozen=True, slots=True)
class BargeInEvent:
    action: BargeInAction
    onset_at: float  # captured_at of the caller's first voiced frame
    at: float  # when playback was paused / resumed / flushed (monotonic)
    turn_id: int


class TransferReason(StrEnum):
    CALLER_ASKED = "caller_asked"
    DTMF = "dtmf"


@dataclass(frozen=True, slots=True)
class TransferRequested:
    """sip/ performs the transfer (to the account's handover target)."""

    reason: TransferReason
    said: str  # what the caller said, or the DTMF digit
    summary: str  # the conversation so far in a line or two, for the human taking over
    at: float


class HangUpReason(StrEnum):
    GOODBYE = "goodbye"
    SILENCE = "silence_timeout"


@dataclass(frozen=True, slots=True)
class HangUpRequested:
    reason: HangUpReason
    at: float


@dataclass(frozen=True, slots=True)
class TurnMetricsEvent:
    metrics: TurnMetrics


@dataclass(frozen=True, slots=True)
class StageError:
    """A stage failed in a way the caller may notice (every provider of the stage failed)."""

    stage: str  # "stt" | "llm" | "tts" | "retrieval"
    message: str
    turn_id: int
    at: float


@dataclass(frozen=True, slots=True)
class ModeChanged:
    """The call was switched between autonomous and copilot; unfinished turns moved with it."""

    mode: str  # "autonomous" | "copilot"
    handed_over: tuple[int, ...]  # the turns the new mode took over
    at: float


@dataclass(frozen=True, slots=True)
class CallEnded:
    reason: str  # "remote" (audio ended), "hangup_requested", "stopped", "error"
    record_path: str  # the saved call record ("" when the call controller saves it, or saving failed)
    at: float


EngineEvent = (
    TranscriptEvent
    | SuggestionEvent
    | BotSpeakingStarted
    | BotSpeakingStopped
    | BargeInEvent
    | TransferRequested
    | HangUpRequested
    | TurnMetricsEvent
    | StageError
    | ModeChanged
    | CallEnded
)
