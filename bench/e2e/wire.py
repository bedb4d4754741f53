"""A caller's turns measured on the wire: the dumps' frames given the times of their RTP packets.

Frame k of baresip's `-enc` dump is the k-th packet the caller sent, frame k of its `-dec` dump the
k-th packet it received (see `rtp_trace`). A sent packet leaves when its 20 ms frame is complete, so
the caller's last voiced frame ends when its packet is sent; a received frame can play once its
packet has arrived. Hence, per turn:

    wire v2v = arrival of the first reply frame - sending of the caller's last voiced frame

which is what the caller's network interface sees (the caller's own jitter buffer and playout come
on top, as on any phone). The dump figure differs from it by the offset between the two dumps'
first packets, plus 20 ms (the dumps set a sent frame's end against a heard frame's start).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.e2e.rtp_trace import RtpPacket
from tests.e2e.harness import FRAME, HeardTurn, frame_dbfs

AUDIBLE_DBFS = -70.0  # a heard frame above this carries some reply audio (G.722 silence is far below)


@dataclass(frozen=True, slots=True)
class WireTurn:
    question: int
    caller_end_at: float  # monotonic: the caller's last voiced frame left (its packet was sent)
    first_sound_at: float | None  # the first reply frame above AUDIBLE_DBFS arrived at the caller
    onset_at: float | None  # the first reply frame above the benchmark's speech threshold arrived
    wire_v2v_ms: float | None  # onset_at - caller_end_at
    dump_minus_wire_ms: float | None  # how far the dump figure is off


@dataclass(frozen=True, slots=True)
class StreamCheck:
    """Whether the dumps hold one frame per packet: the mapping this module rests on."""

    sent_packets: int
    enc_frames: int
    heard_packets: int
    dec_frames: int
    sent_seq_gaps: int
    heard_seq_gaps: int

    @property
    def ok(self) -> bool:
        # the caller stops at hang-up with a few frames still in flight or in its jitter buffer
        return (self.sent_seq_gaps == self.heard_seq_gaps == 0
                and 0 <= self.sent_packets - self.enc_frames <= 2
                and 0 <= self.heard_packets - self.dec_frames <= 12)


def _seq_gaps(packets: list[RtpPacket]) -> int:
    return sum((b.seq - a.seq) % 65536 != 1 for a, b in itertools.pairwise(packets))


def check_streams(sent: list[RtpPacket], heard: list[RtpPacket], enc: np.ndarray,
                  dec: np.ndarray) -> StreamCheck:
    return StreamCheck(len(sent), len(enc) // FRAME, len(heard), len(dec) // FRAME,
                       _seq_gaps(sent), _seq_gaps(heard))


def wire_turns(turns: list[HeardTurn], sent: list[RtpPacket], heard: list[RtpPacket],
               dec: np.ndarray) -> list[WireTurn]:
    levels = frame_dbfs(dec)
    out = []
    for turn in turns:
        last_voiced = round(turn.end_of_speech_s * 50) - 1
        caller_end = sent[last_voiced].at
        onset = first_sound = None
        if turn.reply_onset_s is not None:
            k = round(turn.reply_onset_s * 50)
            onset = heard[k].at
            first = k
            while first > 0 and levels[first - 1] > AUDIBLE_DBFS:  # the quiet start of the same sound
                first -= 1
            first_sound = heard[first].at
        wire = None if onset is None else round((onset - caller_end) * 1000, 1)
        dump = turn.voice_to_voice_ms
        off = None if wire is None or dump is None else round(dump - wire, 1)
        out.append(WireTurn(turn.question, caller_end, first_sound, onset, wire, off))
    return out


def caller_figures_from_the_wire(rows: list[dict[str, Any]], turns: list[HeardTurn], sent: list[RtpPacket],
                                 heard: list[RtpPacket], enc: np.ndarray, dec: np.ndarray) -> str | None:
    """Give each row (`calls.match_turns`, one per turn) the wire figure as its `caller_v2v_ms`, and
    keep the dumps' figure as `dump_v2v_ms`. If the dumps do not map onto the packets, the rows keep
    the dumps' figure and the reason is returned."""
    check = check_streams(sent, heard, enc, dec)
    if not check.ok:
        return f"caller figure from the dumps: they do not map onto the RTP packets ({check})"
    for row, wire in zip(rows, wire_turns(turns, sent, heard, dec), strict=True):
        row["dump_v2v_ms"] = row["caller_v2v_ms"]
        row["caller_v2v_ms"] = wire.wire_v2v_ms
        row["dump_minus_wire_ms"] = wire.dump_minus_wire_ms
    return None
