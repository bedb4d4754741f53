"""What a judge of the caller's pause (the turn model, or the transcript check) says about it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TurnVerdict:
    complete: bool  # the caller has finished: end the turn now
    probability: float  # of "the speaker has finished" (the transcript check gives 1.0 or 0.0)
    compute_ms: float  # how long the judgement took, wall clock
    unfinished: bool = False  # clearly not finished: wait up to the longest silence the settings allow
