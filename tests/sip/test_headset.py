"""The agent's side of a call through a headset made of pjsua2 media (no sound devices here): WAV
players as microphones, Python ports as speakers, chosen by device name. Checked by frequency: agent
frames carry the agent's tone and not the caller's; audio for the agent's ears reaches the headset and
not the peer; after a device switch during a call, audio flows through the new devices and not the old."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pjsua2 as pj
import pytest

from earpiece.core.audio.frames import AudioFrame
from earpiece.core.settings import AccountSettings
from earpiece.sip.bridge_port import pcm16_format
from earpiece.sip.call_audio import SILENCE, CallAudio, FrameStream
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import AudioDeviceProblem, CallState, CallStateChanged, SipEvent
from earpiece.sip.headset import NO_DEVICE, Headset
from earpiece.sip.pcm_vector import vector_bytes
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, running_engine
from tests.sip.helpers import EventLog, call_from, read_wav, tone, tone_level

pytestmark = pytest.mark.peers

AGENT_HZ, CALLER_HZ, WHISPER_HZ = 700, 440, 1000
NEW_MICROPHONE_HZ = 900  # the microphone switched to during a call
LOUD = 5000  # the tones are written at amplitude 0.4 (13107); the bridge passes them at about that


class _Speaker(pj.AudioMediaPort):
    """The headset's speaker: keeps every 20 ms frame the bridge plays into it (silence included)."""

    def __init__(self) -> None:
        super().__init__()
        self.heard: list[bytes] = []
        self.createPort("test-headset-speaker", pcm16_format())

    def onFrameReceived(self, frame: Any) -> None:
        try:
            audio = frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO
            self.heard.append(vector_bytes(frame.buf) if audio else SILENCE)
        except Exception:  # nothing may escape into PJSIP
            pass


class _Devices:
    """`SipEngine(open_headset=...)` with named stand-in devices: each microphone plays a WAV tone in a
    loop; a speaker is made for any output name but "none" and keeps what it hears."""

    def __init__(self, microphones: dict[str, Path]) -> None:
        self.microphones = microphones
        self.speakers: dict[str, list[_Speaker]] = {}  # every speaker opened, by device name
        self.failure_reports: list[Callable[[str, str, str], None]] = []  # `on_failure` of each opening

    def __call__(
        self, input_name: str, output_name: str, emit: Callable[[SipEvent], None], on_failure: Any
    ) -> Headset | None:
        self.failure_reports.append(on_failure)
        microphone = None
        if input_name in self.microphones:
            microphone = pj.AudioMediaPlayer()
            microphone.createPlayer(str(self.microphones[input_name]))
        speaker = None
        if output_name != NO_DEVICE:
            speaker = _Speaker()
            self.speakers.setdefault(output_name, []).append(speaker)
        return Headset(microphone, speaker) if microphone is not None or speaker is not None else None

    def speaker(self, name: str) -> _Speaker:
        """The speaker opened last under `name`."""
        return self.speakers[name][-1]


@pytest.fixture(scope="module")
def headset(tone_wav: Callable[[float], Path]) -> _Devices:
    return _Devices({"mic-a": tone_wav(AGENT_HZ), "mic-b": tone_wav(NEW_MICROPHONE_HZ)})


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, headset: _Devices) -> Iterator[SipEngine]:
    devices = {"input_device": "mic-a", "output_device": "speaker-a"}
    yield from running_engine(tmp_path_factory, config=devices, open_headset=headset)


async def _agent_frames(audio: CallAudio, count: int) -> list[bytes]:
    return await _take(audio.agent.frames(), count)


async def _take(stream: FrameStream, count: int) -> list[bytes]:
    frames: list[bytes] = []
    async for frame in stream:
        frames.append(frame.pcm)
        if len(frames) == count:
            break
    await stream.aclose()
    return frames


def test_agent_and_caller_are_heard_apart_and_the_whisper_stays_in_the_headset(
    engine: SipEngine,
    registered: Callable[..., AccountSettings],
    events: EventLog,
    registrar: Kamailio,
    tone_wav: Callable[[float], Path],
    headset: _Devices,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(CALLER_HZ)) as bob:
        call_id = call_from(bob, registrar, events)
        audio = engine.call_audio(call_id)

        async def both_sides() -> tuple[list[bytes], list[bytes]]:
            return await asyncio.gather(_take(audio.frames(), 60), _take(audio.agent.frames(), 60))

        caller_frames, agent_frames = asyncio.run(both_sides())
        assert audio.agent.sink.connected
        speaker = headset.speaker("speaker-a")
        mark = len(speaker.heard)
        audio.agent.sink.write(tone(WHISPER_HZ, 1.0))
        assert wait_for(lambda: audio.agent.sink.pending_ms() == 0, 3), "the whisper was not played"
        in_headset = b"".join(speaker.heard[mark:])
        time.sleep(0.3)  # anything leaked into the call would cross the jitter buffer by now

        async def agent_frames_until_the_call_ends() -> list[AudioFrame]:
            stream = audio.agent.frames()
            await asyncio.sleep(0.2)
            bob.command("hangup")
            async with asyncio.timeout(5):
                return [frame async for frame in stream]

        assert asyncio.run(agent_frames_until_the_call_ends()), "the microphone stopped before the call"
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
        assert wait_for(lambda: bool(bob.recordings("dec")), 3)
        peer_heard, rate = read_wav(bob.recordings("dec")[-1])

    agent = b"".join(agent_frames[10:])  # skip the first 200 ms (jitter-buffer fill)
    caller = b"".join(caller_frames[10:])
    levels = {
        "agent frames": (tone_level(agent, AGENT_HZ), tone_level(agent, CALLER_HZ)),
        "caller frames": (tone_level(caller, CALLER_HZ), tone_level(caller, AGENT_HZ)),
        "headset speaker": (tone_level(in_headset, WHISPER_HZ), tone_level(in_headset, CALLER_HZ)),
        "peer": (tone_level(peer_heard, AGENT_HZ, rate), tone_level(peer_heard, WHISPER_HZ, rate)),
    }
    print("tone levels (wanted, unwanted):", {k: (round(a), round(b)) for k, (a, b) in levels.items()})
    wanted, unwanted = levels["agent frames"]
    assert wanted > LOUD and unwanted < 50, "agent frames are not the agent's microphone alone"
    wanted, unwanted = levels["caller frames"]
    assert wanted > LOUD and unwanted < 50, "the agent's microphone leaked into the caller's frames"
    whisper, call = levels["headset speaker"]  # the headset plays the call and the whisper mixed
    assert whisper > LOUD and call > LOUD / 2
    wanted, unwanted = levels["peer"]  # the peer hears the agent's microphone, none of the whisper
    assert wanted > LOUD / 2 and unwanted < 50, "the whisper reached the peer"


def test_switching_devices_during_a_call_moves_its_audio_to_the_new_devices(
    engine: SipEngine,
    registered: Callable[..., AccountSettings],
    events: EventLog,
    registrar: Kamailio,
    tone_wav: Callable[[float], Path],
    headset: _Devices,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(CALLER_HZ)) as bob:
        call_id = call_from(bob, registrar, events)
        audio = engine.call_audio(call_id)
        before = asyncio.run(_agent_frames(audio, 30))
        old_speaker = headset.speaker("speaker-a")
        engine.set_audio_devices("mic-b", "speaker-b").result(5)
        old_heard = len(old_speaker.heard)
        new_speaker = headset.speaker("speaker-b")
        after = asyncio.run(_agent_frames(audio, 60))
        assert audio.agent.sink.connected, "the agent's side lost its speaker in the switch"
        mark = len(new_speaker.heard)
        audio.agent.sink.write(tone(WHISPER_HZ, 1.0))
        assert wait_for(lambda: audio.agent.sink.pending_ms() == 0, 3), "the whisper was not played"
        in_new_speaker = b"".join(new_speaker.heard[mark:])
        time.sleep(2.0)  # the peer hears the new microphone for a while
        assert len(old_speaker.heard) - old_heard <= 1, "the old speaker still hears the call"
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
        assert wait_for(lambda: bool(bob.recordings("dec")), 3)
        peer_heard, rate = read_wav(bob.recordings("dec")[-1])

    # Agent frames (skip 200 ms of jitter-buffer fill) and the peer's last seconds (2.0 to 0.5 s
    # before the hang-up, all of them after the switch).
    old_mic = b"".join(before[10:])
    new_mic = b"".join(after[10:])
    peer_after = peer_heard[-int(2.0 * rate) * 2 : -int(0.5 * rate) * 2]
    levels = {
        "agent frames before": (tone_level(old_mic, AGENT_HZ), tone_level(old_mic, NEW_MICROPHONE_HZ)),
        "agent frames after": (tone_level(new_mic, NEW_MICROPHONE_HZ), tone_level(new_mic, AGENT_HZ)),
        "new speaker": (tone_level(in_new_speaker, CALLER_HZ), tone_level(in_new_speaker, WHISPER_HZ)),
        "peer after": (
            tone_level(peer_after, NEW_MICROPHONE_HZ, rate),
            tone_level(peer_after, AGENT_HZ, rate),
        ),
    }
    print("tone levels:", {k: (round(a), round(b)) for k, (a, b) in levels.items()})
    wanted, unwanted = levels["agent frames before"]
    assert wanted > LOUD and unwanted < 50, "before the switch the agent frames are not microphone A"
    wanted, unwanted = levels["agent frames after"]
    assert wanted > LOUD and unwanted < 50, "after the switch the agent frames are not microphone B alone"
    call, whisper = levels["new speaker"]
    assert call > LOUD / 2 and whisper > LOUD, "the new speaker does not play the call and the whisper"
    wanted, unwanted = levels["peer after"]
    assert wanted > LOUD / 2 and unwanted < 50, "the peer does not hear microphone B alone after the switch"


def _report_from_another_thread(report: Callable[[str, str, str], None], device: str) -> None:
    """As PortAudio does when a device stops."""
    thread = threading.Thread(target=report, args=(device, "output", f"output device {device!r} stopped"),
                              name="test-portaudio")
    thread.start()
    thread.join()


def test_a_device_that_stops_mid_call_leaves_the_call_without_headset_and_a_replaced_one_is_ignored(
    engine: SipEngine,
    registered: Callable[..., AccountSettings],
    events: EventLog,
    registrar: Kamailio,
    headset: _Devices,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    replaced_report = headset.failure_reports[-1]
    engine.set_audio_devices("mic-b", "speaker-b").result(5)
    current_report = headset.failure_reports[-1]
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar) as bob:
        call_id = call_from(bob, registrar, events)
        audio = engine.call_audio(call_id)
        assert wait_for(lambda: audio.agent.sink.connected, 2)
        since = events.mark()
        _report_from_another_thread(replaced_report, "speaker-a")
        time.sleep(0.5)
        assert not events.of(AudioDeviceProblem, since), "a device already replaced was reported"
        assert audio.agent.sink.connected, "a replaced device's failure took the current headset away"
        _report_from_another_thread(current_report, "speaker-b")
        problem = events.wait(AudioDeviceProblem, timeout=3, since=since)
        assert problem.device == "speaker-b" and problem.direction == "output"
        assert wait_for(lambda: not audio.agent.sink.connected, 2), "the call kept a vanished headset"
        speaker = headset.speaker("speaker-b")
        heard = len(speaker.heard)
        time.sleep(0.5)
        assert len(speaker.heard) == heard, "the vanished speaker is still played to"
        assert [c.state for c in engine.calls()] == [CallState.CONFIRMED], "the call did not go on"
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
