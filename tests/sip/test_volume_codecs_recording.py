"""Headset volumes, the codec order and call recording on real calls with baresip over Kamailio. The
headset is made of pjsua2 media (a WAV tone as the microphone, a Python port as the speaker: no sound
devices here), and everything is checked by frequency in the audio that came out."""

from __future__ import annotations

import asyncio
import time
import wave
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest

from earpiece.core.settings import AccountSettings
from earpiece.sip.codecs import DEFAULT_CODEC_ORDER
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import CallMediaChanged, CallState, CallStateChanged, MediaStatus
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for
from tests.sip.conftest import USERS, running_engine
from tests.sip.helpers import EventLog, call_from, read_wav, steady_tone_level, tone_level, write_wav
from tests.sip.test_headset import AGENT_HZ, CALLER_HZ, LOUD, NEW_MICROPHONE_HZ, _Devices, _take

pytestmark = pytest.mark.peers


def _complete_wav(path: Path) -> bool:
    try:
        with wave.open(str(path), "rb") as wav:
            return wav.getnframes() > 0
    except (OSError, EOFError, wave.Error):
        return False


@pytest.fixture(scope="module")
def headset(tone_wav: Callable[[float], Path]) -> _Devices:
    return _Devices({"mic-a": tone_wav(AGENT_HZ), "mic-b": tone_wav(NEW_MICROPHONE_HZ)})


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, headset: _Devices) -> Iterator[SipEngine]:
    devices = {"input_device": "mic-a", "output_device": "speaker-a"}
    yield from running_engine(tmp_path_factory, config=devices, open_headset=headset)


def _levels(engine: SipEngine, call_id: str, speaker: list[bytes], mic_hz: float) -> tuple[float, float]:
    """(microphone tone in the agent frames, caller tone in the headset speaker) over 0.8 s."""
    mark = len(speaker)

    async def agent_frames() -> list[bytes]:
        return await _take(engine.call_audio(call_id).agent.frames(), 50)

    frames = asyncio.run(agent_frames())
    heard = b"".join(speaker[mark:])
    return tone_level(b"".join(frames[10:]), mic_hz), steady_tone_level(heard[len(heard) // 4:], CALLER_HZ)


def test_headset_volumes_scale_microphone_and_speaker_and_survive_a_device_switch(
    engine: SipEngine, registered: Callable[..., AccountSettings], events: EventLog, registrar: Kamailio,
    tone_wav: Callable[[float], Path], headset: _Devices,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    registered("alice", auto_answer_s=0)
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(CALLER_HZ)) as bob:
        call_id = call_from(bob, registrar, events)
        time.sleep(0.3)
        full_mic, full_speaker = _levels(engine, call_id, headset.speaker("speaker-a").heard, AGENT_HZ)
        engine.set_volume(0.25, 0.5).result(5)
        quiet_mic, quiet_speaker = _levels(engine, call_id, headset.speaker("speaker-a").heard, AGENT_HZ)
        engine.set_audio_devices("mic-b", "speaker-b").result(5)  # the volumes stay
        speaker_b = headset.speaker("speaker-b").heard
        time.sleep(0.3)  # the new speaker's first frames are the jitter buffer refilling
        new_mic, new_speaker = _levels(engine, call_id, speaker_b, NEW_MICROPHONE_HZ)
        engine.set_volume(1.0, 1.0).result(5)
        for _ in range(3):  # once in many runs the first stretch after the change still has the old level
            back_mic, back_speaker = _levels(engine, call_id, speaker_b, NEW_MICROPHONE_HZ)
            if back_speaker > 1.6 * new_speaker:
                break
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
    print("mic", [round(x) for x in (full_mic, quiet_mic, new_mic, back_mic)],
          "speaker", [round(x) for x in (full_speaker, quiet_speaker, new_speaker, back_speaker)])
    assert full_mic > LOUD and full_speaker > LOUD / 2
    assert 0.15 < quiet_mic / full_mic < 0.35, "the microphone volume 0.25 did not quarter its level"
    assert 0.4 < quiet_speaker / full_speaker < 0.6, "the speaker volume 0.5 did not halve its level"
    assert 0.15 < new_mic / back_mic < 0.35, "the microphone volume was lost in the device switch"
    assert 0.4 < new_speaker / back_speaker < 0.6, "the speaker volume was lost in the device switch"
    with pytest.raises(ValueError, match=r"microphone volume must be from 0\.0 to 2\.0"):
        engine.set_volume(2.5, 1.0)


def test_the_codec_order_decides_outgoing_calls_and_disabled_codecs_are_never_used(
    engine: SipEngine, registered: Callable[..., AccountSettings], events: EventLog, registrar: Kamailio,
    tmp_path: Path,
) -> None:
    """Outgoing calls take our first codec the peer has; an incoming call takes the caller's preference
    (PJSIP answers in the offerer's order) among the codecs we enabled."""
    assert set(DEFAULT_CODEC_ORDER) <= set(engine.codecs())
    registered("alice", auto_answer_s=0)

    def codec_of(call_id: str) -> str:
        events.wait(CallMediaChanged, lambda e: e.call_id == call_id and bool(e.codec))
        time.sleep(0.5)  # a codec-locking re-INVITE, if the answer listed several codecs
        return [e.codec for e in events.of(CallMediaChanged) if e.call_id == call_id and e.codec][-1]

    def signed_in(peer: Baresip) -> bool:
        return "OK" in peer.command("reginfo")["data"]

    def hang_up(call_id: str) -> None:
        engine.hangup(call_id).result(5)
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)

    narrowband = write_wav(tmp_path / "silence-8k.wav", bytes(8000 * 2 * 30), rate=8000)  # aufile: codec rate
    try:
        for order, expected, source in ((["PCMA/8000/1", "G722/16000/1"], "PCMA/8000", narrowband),
                                        (["G722/16000/1", "PCMA/8000/1"], "G722/16000", None)):
            engine.set_codec_order(order).result(5)
            with Baresip("bob", USERS["bob"], registrar, auto_answer=True, source_wav=source) as bob:
                assert wait_for(partial(signed_in, bob), 5, 0.1)
                call_id = engine.make_call("alice", "bob").result(5)
                assert codec_of(call_id) == expected
                hang_up(call_id)
        engine.set_codec_order(["PCMU/8000/1"]).result(5)
        with Baresip("bob", USERS["bob"], registrar, source_wav=narrowband) as bob:  # it offers G.722 first
            call_id = call_from(bob, registrar, events)
            assert codec_of(call_id) == "PCMU/8000"
            hang_up(call_id)
        with pytest.raises(ValueError, match="unknown codec"):
            engine.set_codec_order(["opus/48000/2"]).result(5)
        with pytest.raises(ValueError, match="at least one codec"):
            engine.set_codec_order([]).result(5)
    finally:
        engine.set_codec_order(DEFAULT_CODEC_ORDER).result(5)


def test_a_recording_holds_both_parties_follows_hold_and_ends_with_the_call(
    engine: SipEngine, registered: Callable[..., AccountSettings], events: EventLog, registrar: Kamailio,
    tone_wav: Callable[[float], Path], tmp_path: Path,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    engine.set_volume(1.0, 1.0).result(5)
    registered("alice", auto_answer_s=0)
    path = tmp_path / "calls" / "recorded.wav"
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(CALLER_HZ)) as bob:
        call_id = call_from(bob, registrar, events)
        engine.start_recording(call_id, path).result(5)
        with pytest.raises(ValueError, match="already being recorded"):
            engine.start_recording(call_id, tmp_path / "twice.wav").result(5)
        time.sleep(1.0)
        engine.hold(call_id).result(10)
        events.wait(CallMediaChanged, lambda e: e.call_id == call_id and e.status is MediaStatus.LOCAL_HOLD)
        engine.resume(call_id).result(10)
        events.wait(CallMediaChanged, lambda e: e.call_id == call_id and e.status is MediaStatus.ACTIVE)
        time.sleep(1.5)  # after the resume: the re-created stream must be in the recording too
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
    assert engine.stop_recording(call_id).result(5) is None  # the call's end closed it
    assert wait_for(lambda: _complete_wav(path), 2)  # PJSIP closes the file on its clock thread
    pcm, rate = read_wav(path)
    assert rate == 16000 and len(pcm) > 2 * rate * 2  # more than 2 s of audio
    last_second = pcm[-2 * rate:]
    levels = {"caller": tone_level(pcm, CALLER_HZ), "agent": tone_level(pcm, AGENT_HZ),
              "caller after resume": tone_level(last_second, CALLER_HZ)}
    print("recording levels", {k: round(v) for k, v in levels.items()})
    assert levels["caller"] > LOUD / 4 and levels["agent"] > LOUD / 4
    assert levels["caller after resume"] > LOUD / 4, "the recording lost the caller after hold and resume"


def test_a_recording_leaves_the_microphone_out_while_the_call_is_muted(
    engine: SipEngine, registered: Callable[..., AccountSettings], events: EventLog, registrar: Kamailio,
    tone_wav: Callable[[float], Path], tmp_path: Path,
) -> None:
    engine.set_audio_devices("mic-a", "speaker-a").result(5)
    registered("alice", auto_answer_s=0)
    path = tmp_path / "muted.wav"
    with Baresip("bob", USERS["bob"], registrar, source_wav=tone_wav(CALLER_HZ)) as bob:
        call_id = call_from(bob, registrar, events)
        engine.start_recording(call_id, path).result(5)
        time.sleep(1.0)
        engine.set_mute(call_id, True).result(5)
        time.sleep(1.5)
        bob.command("hangup")
        events.wait(CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.DISCONNECTED)
    assert wait_for(lambda: _complete_wav(path), 2)
    pcm, rate = read_wav(path)
    before, muted = pcm[2 * rate // 5 : 2 * rate], pcm[-2 * rate :]  # 0.2-1.0 s, and the last second
    levels = {"agent before": tone_level(before, AGENT_HZ), "agent muted": tone_level(muted, AGENT_HZ),
              "caller muted": tone_level(muted, CALLER_HZ)}
    print("recording levels", {k: round(v) for k, v in levels.items()})
    assert levels["agent before"] > LOUD / 4 and levels["caller muted"] > LOUD / 4
    assert levels["agent muted"] < 50, "the muted microphone was recorded"
