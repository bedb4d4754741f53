"""The phone line as the call controller sees it: the commands it gives (`CallLine`, which
`earpiece.sip.engine.SipEngine` satisfies as it is) and the events it is told (`LineEvent`, made
from the SIP engine's events by `earpiece.headless.sip_line.line_event`).

Typed here, without sip/, so the controller stays Qt- and pjsua2-free and its tests can drive it
with a fake line.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from earpiece.core.audio.frames import AudioFrame, AudioSink


class MediaStats(Protocol):
    @property
    def frames_in(self) -> int: ...
    @property
    def frames_out(self) -> int: ...
    @property
    def max_gap_ms(self) -> float: ...
    @property
    def callback_us_mean(self) -> float: ...


class AudioPath(Protocol):
    """One direction pair of a call's audio: frames heard, and a sink played out."""

    @property
    def sink(self) -> AudioSink: ...

    def frames(self) -> AsyncIterator[AudioFrame]: ...


class CallMedia(AudioPath, Protocol):
    """A call's audio: the remote party (`frames`, `sink`) and the agent's headset (`agent`)."""

    @property
    def agent(self) -> AudioPath: ...

    def stats(self) -> MediaStats: ...

    def reset_max_gap(self) -> None: ...


class CallLine(Protocol):
    """SIP commands; each returns a future completed on the SIP thread."""

    def answer(self, call_id: str) -> Future[None]: ...

    def reject(self, call_id: str) -> Future[None]:
        """Refuse a ringing call as busy (486)."""
        ...

    def hangup(self, call_id: str) -> Future[None]: ...

    def transfer(self, call_id: str, destination: str) -> Future[None]: ...

    def call_audio(self, call_id: str) -> CallMedia: ...


@dataclass(frozen=True, slots=True)
class CallOffered:
    """An incoming call rings."""

    call_id: str
    account_id: str
    remote_uri: str
    display_name: str
    at: float  # monotonic


@dataclass(frozen=True, slots=True)
class CallConnected:
    """A call (incoming or outgoing) is answered and confirmed."""

    call_id: str
    account_id: str
    remote_uri: str
    at: float


@dataclass(frozen=True, slots=True)
class CallDisconnected:
    call_id: str
    code: int
    reason: str
    stale: bool  # the line ended it itself: no ACK, or no audio for too long
    at: float


@dataclass(frozen=True, slots=True)
class CodecChosen:
    call_id: str
    codec: str


@dataclass(frozen=True, slots=True)
class DigitPressed:
    call_id: str
    digit: str


@dataclass(frozen=True, slots=True)
class TransferUpdate:
    """The transfer target's answer, as NOTIFYs report it (`final`: the last one)."""

    call_id: str
    code: int
    reason: str
    final: bool


LineEvent = CallOffered | CallConnected | CallDisconnected | CodecChosen | DigitPressed | TransferUpdate
