"""Call audio both ways through the bridge, checked by frequency, and frame timing under CPU load."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from earpiece.core.audio.frames import BYTES_PER_FRAME
from earpiece.sip.clock_thread import CLOCK
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallState, CallStateChanged
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, Register
from tests.sip.helpers import EventLog, call_from, dominant_frequency, read_wav, rms, tone

pytestmark = pytest.mark.peers


async def _collect(engine: SipEngine, call_id: str, seconds: float) -> list[bytes]:
    frames: list[bytes] = []
    stream = engine.call_audio(call_id).frames()
    deadline = time.monotonic() + seconds
    async for frame in stream:
        assert len(frame.pcm) == BYTES_PER_FRAME and frame.captured_at <= time.monotonic()
        frames.append(frame.pcm)
        if time.monotonic() >= deadline:
            break
    await stream.aclose()
    return frames


def test_audio_flows_both_ways(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    registrar: Kamailio,
    tone_wav: Callable[[float], Path],
) -> None:
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(440)) as bob:
        call_id = call_from(bob, registrar, events)
        audio = engine.call_audio(call_id)
        audio.sink.write(tone(1000, 1.5))
        assert audio.sink.pending_ms() > 1000
        heard = asyncio.run(_collect(engine, call_id, 1.0))
        assert wait_for(lambda: audio.sink.pending_ms() == 0, 3), "reply audio was not played out"
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
        assert wait_for(lambda: bool(bob.recordings("dec")), 3)
        pcm, rate = read_wav(bob.recordings("dec")[-1])
    # What the engine heard: baresip's 440 Hz microphone (skip the first 200 ms of jitter-buffer fill).
    incoming = b"".join(heard[10:])
    assert rms(incoming) > 1000
    assert abs(dominant_frequency(incoming) - 440) < 15
    # What baresip heard: the 1000 Hz written into the sink.
    samples = np.frombuffer(pcm, dtype="<i2")
    loud = samples[np.abs(samples) > 2000]
    assert loud.size > rate // 2, "baresip heard (almost) nothing"
    start = int(np.argmax(np.abs(samples) > 2000))
    assert abs(dominant_frequency(pcm[start * 2 : (start + rate) * 2], rate) - 1000) < 15


def test_flush_drops_queued_reply_audio_at_once(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        sink = engine.call_audio(call_id).sink
        sink.write(tone(500, 5.0))
        time.sleep(0.1)
        played_some = sink.pending_ms()
        sink.flush()
        assert 4000 < played_some < 5000 and sink.pending_ms() == 0
        with pytest.raises(ValueError, match="even number of bytes"):
            sink.write(b"\x00")
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)


# A frame gap this long means the bridge stalled; scheduling jitter stays under it.
STALL_MS = 100


def _max_gap_during(engine: SipEngine, call_id: str, job: Callable[[], object], seconds: float) -> float:
    """Largest interval (ms) without an incoming frame while `job` runs in a worker thread, counting
    from the window's start to its end (a stalled bridge delivers nothing, then a burst)."""
    audio = engine.call_audio(call_id)
    assert wait_for(lambda: audio.stats().frames_in > 25, 3)
    stamps: list[float] = []
    remove = audio.add_frame_listener(lambda frame: stamps.append(frame.captured_at))

    def worker() -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            job()

    begin = time.monotonic()
    thread = threading.Thread(target=worker, name="test-gil-holder")
    thread.start()
    thread.join(seconds + 30)
    end = time.monotonic()
    remove()
    assert not thread.is_alive()
    return float(np.max(np.diff([begin, *stamps, end]))) * 1000


@pytest.mark.models
def test_frames_keep_flowing_while_whisper_transcribes(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    registrar: Kamailio,
    tone_wav: Callable[[float], Path],
) -> None:
    """faster-whisper (CTranslate2) releases the GIL while it computes: the bridge keeps delivering
    frames. The model is loaded as the product loads it, with the default STT settings (one core left
    to the audio), and the heap is frozen as the product does after loading. Held GIL = a stall of
    one encoder pass (hundreds of ms); the 40 ms frame-gap goal itself is a benchmark figure
    (bench/voice/frame_gaps.py, bench/e2e), since a busy machine adds its own jitter (51 ms seen)."""
    from earpiece.core.engine.factory import freeze_heap
    from earpiece.core.settings import SttSettings
    from earpiece.core.stt.whisper import load_whisper_model

    model = load_whisper_model(SttSettings(model="tiny.en"))
    speechless = (np.sin(np.arange(16000 * 4) / 16000 * 2 * np.pi * 300) * 0.3).astype(np.float32)

    def transcribe() -> None:
        segments, _ = model.transcribe(speechless, beam_size=1, language="en", vad_filter=False)
        list(segments)

    freeze_heap()  # as the app and the agent do once their models are loaded
    try:
        registered("alice", auto_answer_s=0)
        with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(440)) as bob:
            call_id = call_from(bob, registrar, events)
            gap = _max_gap_during(engine, call_id, transcribe, 3.0)
            bob.command("hangup")
    finally:
        gc.unfreeze()
    print(f"largest frame gap while faster-whisper ran: {gap:.1f} ms")
    assert gap < STALL_MS


def test_a_gil_holding_job_stalls_the_bridge(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    """The trap the design avoids: C code that keeps the GIL (here one big `sorted`) stops every call's
    audio for as long as it runs. This proves the gap measurement above can see a stall."""
    numbers = list(np.random.default_rng(1).integers(0, 1 << 62, 1_500_000))
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        gap = _max_gap_during(engine, call_id, lambda: sorted(numbers), 0.5)
        bob.command("hangup")
    print(f"largest frame gap while a GIL-holding sort ran: {gap:.1f} ms")
    assert gap > STALL_MS


def _may_use_realtime(priority: int) -> bool:
    """Whether this process may put a thread at SCHED_RR `priority` (root without CAP_SYS_NICE in a
    container may not): tried on a throwaway thread."""
    allowed: list[bool] = []

    def attempt() -> None:
        try:
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_RR, os.sched_param(priority))
        except OSError:
            allowed.append(False)
        else:
            allowed.append(True)

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join()
    return allowed[0]


def test_the_clock_thread_runs_at_real_time_priority_when_the_process_may(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    """The thread that runs the bridge callbacks (not the SIP thread, not ours) is raised to SCHED_RR
    at `sip.clock_rt_priority` where the process may do so; elsewhere it keeps SCHED_OTHER."""
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        asyncio.run(_collect(engine, call_id, 0.2))
        bob.command("hangup")
    assert CLOCK.thread_id is not None and CLOCK.thread_id != threading.get_native_id()
    assert CLOCK.thread_id in {int(t) for t in os.listdir("/proc/self/task")}
    priority = engine.config.clock_rt_priority
    assert priority > 0
    if _may_use_realtime(priority):
        assert CLOCK.realtime
        assert os.sched_getscheduler(CLOCK.thread_id) == os.SCHED_RR
        assert os.sched_getparam(CLOCK.thread_id).sched_priority == priority
    else:
        assert not CLOCK.realtime
        assert os.sched_getscheduler(CLOCK.thread_id) == os.SCHED_OTHER


def test_the_clock_thread_keeps_one_python_thread_state_across_callbacks(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    """Without a kept thread state, each bridge callback ran in a new one (and mapped and unmapped a
    frame stack for it): a thread-local value set in one callback would be gone in the next."""
    registered("alice", auto_answer_s=0)
    local = threading.local()
    counts: list[int] = []

    def count(_frame: object) -> None:
        local.frames = getattr(local, "frames", 0) + 1
        counts.append(local.frames)

    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        remove = engine.call_audio(call_id).add_frame_listener(count)
        assert wait_for(lambda: len(counts) >= 10, 5)
        remove()
        bob.command("hangup")
    assert counts[-1] == len(counts), counts[:12]


def _loud_frames(pcm: bytes, rate: int, frequency: float) -> int:
    """20 ms frames of `pcm` dominated by a loud tone at `frequency` (±30 Hz)."""
    size = rate // 50 * 2
    frames = (pcm[i : i + size] for i in range(0, len(pcm) - size + 1, size))
    return sum(1 for f in frames if rms(f) > 2000 and abs(dominant_frequency(f, rate) - frequency) < 30)


def test_mute_keeps_reply_audio_from_the_peer_until_unmuted(
    engine: SipEngine, registered: Register, events: EventLog, registrar: Kamailio
) -> None:
    """1 s of 1 kHz written while muted must not reach baresip; 1 s of 1.5 kHz after unmute must."""
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        audio = engine.call_audio(call_id)
        engine.set_mute(call_id, True).result(5)
        assert engine.calls()[0].muted
        audio.sink.write(tone(1000, 1.0))
        assert wait_for(lambda: audio.sink.pending_ms() == 0, 3)
        engine.set_mute(call_id, False).result(5)
        audio.sink.write(tone(1500, 1.0))
        assert wait_for(lambda: audio.sink.pending_ms() == 0, 3)
        time.sleep(0.3)  # the last frames cross the jitter buffer
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
        assert wait_for(lambda: bool(bob.recordings("dec")), 3)
        pcm, rate = read_wav(bob.recordings("dec")[-1])
    assert _loud_frames(pcm, rate, 1000) == 0, "muted audio reached the peer"
    assert _loud_frames(pcm, rate, 1500) >= 40, "audio after unmute did not reach the peer"


def test_without_a_headset_the_agent_side_is_silent_and_its_sink_drops_audio(
    engine: SipEngine,
    registered: Register,
    events: EventLog,
    registrar: Kamailio,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """No sound devices: the agent's frames stream yields nothing and ends with the call; audio for the
    agent's headset is dropped (one log line per call), and none of it reaches the peer."""
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        agent = engine.call_audio(call_id).agent
        assert not agent.sink.connected
        with caplog.at_level(logging.WARNING, logger="earpiece.sip.call_audio"):
            agent.sink.write(tone(1000, 1.0))
            agent.sink.write(tone(1000, 1.0))
        assert agent.sink.pending_ms() == 0
        dropped = [r for r in caplog.records if "no headset speaker" in r.getMessage()]
        assert len(dropped) == 1 and call_id in dropped[0].getMessage()

        async def agent_frames_until_the_call_ends() -> list[object]:
            stream = agent.frames()
            await asyncio.sleep(0.5)
            bob.command("hangup")
            async with asyncio.timeout(5):
                return [frame async for frame in stream]

        assert asyncio.run(agent_frames_until_the_call_ends()) == []
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
        assert wait_for(lambda: bool(bob.recordings("dec")), 3)
        pcm, rate = read_wav(bob.recordings("dec")[-1])
    assert _loud_frames(pcm, rate, 1000) == 0, "audio for the agent's headset reached the peer"
