"""Reply audio goes out with the next RTP packet, and a caller's audio reaches the frame stream within
the jitter buffer's prefetch: nothing of ours holds either back (issue #13).

Counted in packets, not milliseconds: the engine sends one RTP packet per 20 ms tick of its
conference clock whatever the machine's load, so "the first reply packet is the first or second
packet sent after the hand-off" holds on a busy machine too, while a pre-roll, a batch or a queue
that only drains later would push it back by whole packets (each test fails with such a hold of 2-3
frames put into sip/call_audio.py). Packets are timed on the loopback
interface (`bench.e2e.rtp_trace`, root only). The call uses G.711 u-law, whose payload is the audio
itself: a packet is loud or silent by its bytes.
"""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import numpy as np
import pytest

from bench.e2e.rtp_trace import RtpPacket, RtpTrace, pid_started_with, udp_ports
from earpiece.sip.codecs import DEFAULT_CODEC_ORDER
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallState, CallStateChanged
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog, call_from, tone, write_wav

pytestmark = [
    pytest.mark.peers,
    pytest.mark.skipif(not RtpTrace.available(), reason="timing RTP packets needs root (AF_PACKET on lo)"),
]

LOUD = 1000  # a linear sample beyond this is the reply's tone (the call's silence decodes to ~0)


def ulaw_to_linear(payload: bytes) -> np.ndarray:
    """G.711 u-law bytes as 14-bit linear samples (ITU-T G.711)."""
    codes = ~np.frombuffer(payload, dtype=np.uint8)
    magnitude = ((((codes & 0x0F).astype(np.int32) << 3) + 0x84) << ((codes >> 4) & 0x07)) - 0x84
    return np.where(codes & 0x80, -magnitude, magnitude)


def loud(packet: RtpPacket) -> bool:
    return bool(np.abs(ulaw_to_linear(packet.payload)).max() > LOUD)


def _loud_pcm(pcm: bytes) -> bool:
    return bool(np.abs(np.frombuffer(pcm, dtype="<i2")).max() > LOUD)


def _hang_up(bob: Baresip, events: EventLog, call_id: str) -> None:
    bob.command("hangup")
    events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)


def test_the_first_reply_frame_is_in_the_next_packet(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio, tmp_path: Path
) -> None:
    registered("alice", auto_answer_s=0)
    engine.set_codec_order(["PCMU/8000/1"]).result(5)
    silence = write_wav(tmp_path / "silence-8k.wav", bytes(8000 * 2 * 30), rate=8000)  # aufile: codec rate
    try:
        to_bob, handoffs = _reply_packets(engine, events, registrar, silence)
    finally:
        engine.set_codec_order(DEFAULT_CODEC_ORDER).result(5)
    for handoff in handoffs:
        assert not any(loud(p) for p in to_bob if handoff - 0.5 < p.at < handoff), "loud before the reply"
        after = [p for p in to_bob if p.at >= handoff]
        first = next(i for i, p in enumerate(after) if loud(p))
        # 0: the next tick read the reply; 1: a tick that had just read the sink was still sending
        assert first <= 1, f"the reply went out {first} packets after the hand-off"


def _reply_packets(engine: SipEngine, events: EventLog, registrar: Kamailio,
                   source: Path) -> tuple[list[RtpPacket], list[float]]:
    """bob calls alice; three times, after a second of silence, 200 ms of tone is handed to the call.
    The packets the engine sent to bob, and the hand-off times."""
    with Baresip("bob", USERS["bob"], registrar, source_wav=source) as bob:
        call_id = call_from(bob, registrar, events)
        bob_ports = udp_ports(pid_started_with(str(bob.dir)))
        sink = engine.call_audio(call_id).sink
        handoffs: list[float] = []
        with RtpTrace() as trace:
            for _ in range(3):
                time.sleep(1.0)
                handoffs.append(time.monotonic())
                sink.write(tone(1000, 0.2))
            time.sleep(0.5)
        _hang_up(bob, events, call_id)
    return trace.flows(bob_ports, payload_type=0)[1], handoffs


def test_a_callers_audio_reaches_the_frames_within_the_jitter_buffers_prefetch(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio, tmp_path: Path
) -> None:
    """The other way: from the caller's packet to the engine's frame stream, at most the jitter
    buffer's largest prefetch (`EngineConfig.jb_max_pre_ms`) plus the clock tick under way."""
    registered("alice", auto_answer_s=0)
    engine.set_codec_order(["PCMU/8000/1"]).result(5)
    burst = bytes(8000 * 2) + tone(1000, 0.2, rate=8000)  # a second of silence, 200 ms of tone
    source = write_wav(tmp_path / "bursts-8k.wav", burst * 6 + bytes(8000 * 2 * 10), rate=8000)
    frames: list[tuple[float, bool]] = []
    try:
        with Baresip("bob", USERS["bob"], registrar, source_wav=source) as bob, RtpTrace() as trace:
            call_id = call_from(bob, registrar, events)
            bob_ports = udp_ports(pid_started_with(str(bob.dir)))
            remove = engine.call_audio(call_id).add_frame_listener(
                lambda f: frames.append((f.captured_at, _loud_pcm(f.pcm)))
            )
            time.sleep(5.0)
            until = time.monotonic() - 0.2  # onsets after this may miss their frame
            remove()
            _hang_up(bob, events, call_id)
    finally:
        engine.set_codec_order(DEFAULT_CODEC_ORDER).result(5)
    from_bob = trace.flows(bob_ports, payload_type=0)[0]
    onsets = [b.at for a, b in itertools.pairwise(from_bob) if loud(b) and not loud(a) and b.at < until]
    heard = [b[0] for a, b in itertools.pairwise(frames) if b[1] and not a[1]][: len(onsets)]
    assert len(onsets) >= 3 and len(heard) == len(onsets), (onsets, heard)
    allowed = engine.config.jb_max_pre_ms // 20 + 1
    for sent_at, heard_at in zip(onsets, heard, strict=True):
        assert heard_at >= sent_at
        between = sum(sent_at <= at < heard_at for at, _ in frames)
        assert between <= allowed, f"{between} frames came before the caller's tone ({allowed} allowed)"
