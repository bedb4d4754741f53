"""One record per turn, in the latency vocabulary of the product notes.

All durations are milliseconds, `None` when the stage did not run in that turn (a fixed reply
needs no LLM; copilot turns speak nothing into the call).

- endpoint_delay_ms: end-of-speech (last voiced frame's `captured_at`) -> turn declared over
- turn_model_ms: how long the turn model took to judge the utterance (inside the endpoint delay;
  None when the timer ended the turn without asking it); with the transcript check
  (`turns.endpointing = transcript`), the pause's transcript plus its reading, from the pause on
- stt_ms: end-of-speech -> final transcript available (can be below the endpoint delay when the
  transcript was made early, during the end-of-turn silence; `stt_early` says so)
- stt_compute_ms: how long the recogniser itself ran for the transcript used
- retrieval_ms: query -> passages
- llm_ttft_ms: request -> first token of the provider that served (fallback switches included)
- tts_ttfb_ms: first sentence handed to TTS -> its first audio (a long first sentence is handed
  over as its first phrase, then the rest: see `phrasing.py`)
- voice_to_voice_ms: end-of-speech -> first reply audio handed to the call's sink

Talk time: `speech_start_s` is when the speaker's first voiced frame came in, in seconds since the
session started (the call record's clock, as its transcript lines' `t`), and `speech_ms` runs from
there to the end of the last voiced frame; `voiced_ms` counts only the voiced frames in between.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

# Stage labels as the latency panel and the benchmarks show them, in pipeline order.
STAGE_LABELS = (
    ("endpoint_delay_ms", "endpoint delay"),
    ("turn_model_ms", "turn model"),
    ("stt_ms", "STT"),
    ("retrieval_ms", "retrieval"),
    ("llm_ttft_ms", "LLM TTFT"),
    ("tts_ttfb_ms", "TTS TTFB"),
)


@dataclass(slots=True)
class TurnMetrics:
    turn_id: int
    mode: str  # "autonomous" | "copilot"
    speaker: str  # whose turn it was: "caller" (or "agent" in copilot)
    question: str = ""
    answer: str = ""
    intent: str = ""  # question | handover | goodbye | injection
    end_of_speech_at: float = 0.0  # monotonic seconds
    speech_start_s: float | None = None  # seconds since the session started
    speech_ms: float | None = None
    voiced_ms: int | None = None
    endpoint_delay_ms: float | None = None
    turn_model_ms: float | None = None
    stt_ms: float | None = None
    stt_compute_ms: float | None = None
    stt_early: bool = False
    retrieval_ms: float | None = None
    llm_ttft_ms: float | None = None
    tts_ttfb_ms: float | None = None
    voice_to_voice_ms: float | None = None
    providers: dict[str, str] = field(default_factory=dict)  # stage ("stt", "llm", ...) -> provider
    llm_attempts: list[dict[str, Any]] = field(default_factory=list)  # the fallback report
    tts_failures: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    top_score: float | None = None
    confidence: float | None = None  # the answer selector's confidence (None: no question was answered)
    declined: bool = False  # the reply said "I don't have that information" (a knowledge gap)
    guard: str = ""  # why the output check cut the reply, if it did
    interrupted: bool = False  # the caller barged in

    def stages(self) -> tuple[tuple[str, float], ...]:
        """(label, ms) for the stages that ran, in pipeline order."""
        return tuple(
            (label, float(v)) for key, label in STAGE_LABELS if (v := getattr(self, key)) is not None
        )

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def ms_between(start: float | None, end: float | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start) * 1000, 1)
