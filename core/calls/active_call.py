"""The state the call controller keeps per call: facts for the record, session, audio, and the
events the shutdown waits on (connected, disconnected, idle, a session running)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from earpiece.core.calls.line import CallMedia
from earpiece.core.calls.record_format import CallFacts
from earpiece.core.engine import CallRecorder, CallSession
from earpiece.core.settings import CallMode


@dataclass(slots=True)
class ActiveCall:
    """One call the controller carries: what is known of it, its session, and its state."""

    facts: CallFacts
    mode: CallMode
    knowledge_base: str
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    disconnected: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)  # no turn being answered or spoken
    running: asyncio.Event = field(default_factory=asyncio.Event)  # a session runs
    session: CallSession | None = None
    task: asyncio.Task[None] | None = None
    media: CallMedia | None = None
    recorder: CallRecorder | None = None
    sessions_started: int = 0  # the caller is greeted by the first only
    end_reason: str = "remote"
    speaking: bool = False
    answering: bool = False
    # The largest gap between incoming audio frames, per stretch of the call (a stall of the
    # bridge's clock shows where it happened: while computing a reply, or while speaking it).
    frame_gaps: list[dict[str, object]] = field(default_factory=list)
    max_frame_gap_ms: float = 0.0

    def __post_init__(self) -> None:
        self.idle.set()

    @property
    def call_id(self) -> str:
        return self.facts.call_id

    def update_idle(self) -> None:
        if self.speaking or self.answering:
            self.idle.clear()
        else:
            self.idle.set()

    def mark_frame_gap(self, phase: str) -> None:
        """Close a stretch of the call: note its largest incoming frame gap and start a new one."""
        if self.media is None:
            return
        gap = round(self.media.stats().max_gap_ms, 1)
        self.media.reset_max_gap()
        self.max_frame_gap_ms = max(self.max_frame_gap_ms, gap)
        since = self.facts.answered_at or self.facts.offered_at or time.monotonic()
        self.frame_gaps.append({"t": round(time.monotonic() - since, 2), "phase": phase, "max_gap_ms": gap})

    def note_audio(self) -> None:
        """The audio figures into the record's facts."""
        if self.media is None:
            return
        stats = self.media.stats()
        self.facts.audio = {
            "frames_in": stats.frames_in,
            "frames_out": stats.frames_out,
            "max_frame_gap_ms": self.max_frame_gap_ms,
            "frame_gaps": self.frame_gaps,
            "bridge_callback_us_mean": round(stats.callback_us_mean, 1),
        }
