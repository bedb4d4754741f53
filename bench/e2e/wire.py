"""A caller's turns measured on the wire: the dumps' frames given the times of their RTP packets.

Frame k of baresip's `-enc` dump is the k-th packet the caller sent, frame k of its `-dec` dump the
k-th packet it received (see `rtp_trace`). A sent packet leaves when its 20 ms frame is complete, so
the caller's last voiced frame ends when its packet is sent; a received frame can play once its
packet has arrived. Hence, per turn:

    wire v2v = arrival of the first reply frame - sending of the caller's last voiced frame

which is what the caller's network interface sees (the caller's own jitter buffer and playout come
on top, as on any phone). The dump figure differs from it by the offset between the two dumps'
first packets, plus 20 ms (the dumps set a sent frame's end against a heard frame's start).

With the agent's own turn figures (its call record, on the same monotonic clock) the difference
between the wire figure and the agent's splits into (`SPLIT_KEYS`, ms):

- receive: the caller's first voiced packet leaves -> the agent's start of speech (that frame's
  `captured_at` at its bridge port: jitter buffer, decoding, conference bridge). Speech starts
  sharply, so both ends mark the same frame (the caller's first frame the agent's VAD calls speech);
- VAD tail: the agent's end of speech (its VAD's last voiced frame) less that receive time, after the
  caller's last frame above the speech threshold: the end-of-turn silence only starts counting then;
- send: the agent's hand-off (first reply audio written to the call's sink) -> the first reply packet
  with any sound (above AUDIBLE_DBFS) reaches the caller: the wait for the next clock tick, the
  bridge, encoding, RTP, and any silence the voice puts before its first sound;
- quiet start: that packet -> the first one above the speech threshold (a soft first phoneme).

wire v2v = VAD tail + receive + agent v2v + send + quiet start.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench.e2e.calls import SPLIT_KEYS
from bench.e2e.rtp_trace import RtpPacket
from earpiece.core.audio.frames import AudioFrame
from earpiece.core.audio.pcm import float_to_pcm16
from earpiece.core.audio.vad import frame_voice_activity
from earpiece.core.settings import Settings
from tests.e2e.harness import FRAME, CallerScript, HeardTurn, frame_dbfs

AUDIBLE_DBFS = -70.0  # a heard frame above this carries some reply audio (G.722 silence is far below)


@dataclass(frozen=True, slots=True)
class WireTurn:
    question: int
    caller_start_at: float  # monotonic: the caller's first frame its VAD calls speech left
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


def first_vad_voiced(enc: np.ndarray, start: int, end: int) -> int:
    """The first frame in [start, end) of what the caller sent that the agent's VAD (default
    settings) calls speech; `start` if none."""
    settings = Settings()
    vad = frame_voice_activity(settings.turns, settings.vad.aggressiveness)
    pcm, size = float_to_pcm16(enc), FRAME * 2
    voiced = (k for k in range(start, end) if vad.is_speech(AudioFrame(pcm[k * size:(k + 1) * size], 0.0)))
    return next(voiced, start)


def wire_turns(turns: list[HeardTurn], script: CallerScript, sent: list[RtpPacket], heard: list[RtpPacket],
               enc: np.ndarray, dec: np.ndarray) -> list[WireTurn]:
    levels = frame_dbfs(dec)
    out = []
    for turn, utterance in zip(turns, script.utterances, strict=True):
        last_voiced = round(turn.end_of_speech_s * 50) - 1
        first_voiced = first_vad_voiced(enc, round(utterance.start_s * 50), last_voiced + 1)
        onset = first_sound = None
        if turn.reply_onset_s is not None:
            k = round(turn.reply_onset_s * 50)
            onset = heard[k].at
            first = k
            while first > 0 and levels[first - 1] > AUDIBLE_DBFS:  # the quiet start of the same sound
                first -= 1
            first_sound = heard[first].at
        caller_end = sent[last_voiced].at
        wire = _ms(None if onset is None else onset - caller_end)
        dump = turn.voice_to_voice_ms
        off = None if wire is None or dump is None else round(dump - wire, 1)
        out.append(WireTurn(turn.question, sent[first_voiced].at, caller_end, first_sound, onset, wire, off))
    return out


def _ms(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1000, 1)


def split(wire: WireTurn, row: dict[str, Any]) -> dict[str, float | None]:
    """The SPLIT_KEYS of one turn, from its wire times and the agent's figures in `row`."""
    agent_end, speech, v2v = row["agent_end_of_speech_at"], row["agent_speech_ms"], row["agent_v2v_ms"]
    receive = vad_tail = handoff = None
    if agent_end is not None and speech is not None:
        receive = agent_end - (speech - 20) / 1000 - wire.caller_start_at
        vad_tail = agent_end - receive - wire.caller_end_at
    if agent_end is not None and v2v is not None:
        handoff = agent_end + v2v / 1000
    send = None if handoff is None or wire.first_sound_at is None else wire.first_sound_at - handoff
    first_sound, onset = wire.first_sound_at, wire.onset_at
    quiet = None if onset is None or first_sound is None else onset - first_sound
    return dict(zip(SPLIT_KEYS, map(_ms, (receive, vad_tail, send, quiet)), strict=True))


def caller_figures_from_the_wire(rows: list[dict[str, Any]], turns: list[HeardTurn], script: CallerScript,
                                 sent: list[RtpPacket], heard: list[RtpPacket], enc: np.ndarray,
                                 dec: np.ndarray) -> str | None:
    """Give each row (`calls.match_turns`, one per turn) the wire figure as its `caller_v2v_ms` and
    the split of its difference from the agent's figure, and keep the dumps' figure as
    `dump_v2v_ms`. If the dumps do not map onto the packets, the rows keep the dumps' figure and the
    reason is returned."""
    check = check_streams(sent, heard, enc, dec)
    if not check.ok:
        return f"caller figure from the dumps: they do not map onto the RTP packets ({check})"
    for row, wire in zip(rows, wire_turns(turns, script, sent, heard, enc, dec), strict=True):
        row["dump_v2v_ms"] = row["caller_v2v_ms"]
        row["caller_v2v_ms"] = wire.wire_v2v_ms
        row["dump_minus_wire_ms"] = wire.dump_minus_wire_ms
        row.update(split(wire, row))
    return None
