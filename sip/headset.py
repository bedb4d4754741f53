"""The agent's headset through sounddevice (the pjsua2 wheel has no sound devices of its own).

Devices are chosen by name ("" = the system default, "none" = no device). A missing device gives
an `AudioDeviceProblem` event and the engine goes on without it; no sound card at all is fine.
The headset port runs at the device's own rate; PJSIP's bridge resamples.
"""

from __future__ import annotations

import collections
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pjsua2 as pj

from earpiece.sip.bridge_port import destroy_port, pcm16_format
from earpiece.sip.events import AudioDeviceProblem, SipEvent
from earpiece.sip.pcm_vector import vector_bytes

log = logging.getLogger(__name__)

NO_DEVICE = "none"
_MAX_QUEUED_FRAMES = 10  # 200 ms: beyond that the oldest audio is dropped (latency beats completeness)


@dataclass(frozen=True, slots=True)
class AudioDevice:
    name: str
    inputs: int
    outputs: int
    default_rate: int


def list_audio_devices() -> list[AudioDevice]:
    """The sound devices PortAudio sees (empty without a sound card or without PortAudio)."""
    try:
        import sounddevice as sd

        devices = sd.query_devices()
    except Exception as error:  # OSError without libportaudio2, PortAudioError without ALSA
        log.info("no sound devices: %s", error)
        return []
    return [
        AudioDevice(
            str(d["name"]),
            int(d["max_input_channels"]),
            int(d["max_output_channels"]),
            int(d["default_samplerate"]),
        )
        for d in devices
    ]


def _pick(name: str, direction: str, devices: list[AudioDevice]) -> tuple[int, AudioDevice] | None:
    """Exact name first, then a unique case-insensitive substring; "" = PortAudio's default."""
    usable = [(i, d) for i, d in enumerate(devices) if (d.inputs if direction == "input" else d.outputs) > 0]
    if not name:
        try:
            import sounddevice as sd

            index = sd.default.device[0 if direction == "input" else 1]
        except Exception:
            index = -1
        chosen = [(i, d) for i, d in usable if i == index] or usable[:1]
        return chosen[0] if chosen else None
    exact = [(i, d) for i, d in usable if d.name == name]
    partial = [(i, d) for i, d in usable if name.lower() in d.name.lower()]
    matches = exact or (partial if len(partial) == 1 else [])
    return matches[0] if matches else None


class _HeadsetPort(pj.AudioMediaPort):
    """Bridge side: takes microphone frames, gives what the calls send to the speaker."""

    def __init__(self, rate: int) -> None:
        super().__init__()
        self.frame_bytes = rate // 50 * 2
        self.mic: collections.deque[bytes] = collections.deque(maxlen=_MAX_QUEUED_FRAMES)
        self.speaker: collections.deque[bytes] = collections.deque(maxlen=_MAX_QUEUED_FRAMES)
        self.createPort("headset", pcm16_format(rate))

    def onFrameReceived(self, frame: Any) -> None:
        try:
            if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO:
                self.speaker.append(vector_bytes(frame.buf))
        except Exception:
            log.exception("headset speaker frame dropped")

    def onFrameRequested(self, frame: Any) -> None:
        try:
            if self.mic:
                frame.buf = pj.ByteVector(self.mic.popleft())
                frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception:
            log.exception("headset microphone frame dropped")


class Headset:
    """Created and closed on the SIP thread; PortAudio's callbacks only move bytes."""

    def __init__(self, port: _HeadsetPort, streams: list[Any]) -> None:
        self.port = port
        self.streams = streams
        self.closing = False

    @classmethod
    def open(
        cls,
        input_name: str,
        output_name: str,
        emit: Callable[[SipEvent], None],
        on_failure: Callable[[str, str, str], None],
    ) -> Headset | None:
        if input_name == NO_DEVICE and output_name == NO_DEVICE:
            return None
        devices = list_audio_devices()
        chosen: dict[str, tuple[int, AudioDevice]] = {}
        for direction, name in (("input", input_name), ("output", output_name)):
            if name == NO_DEVICE:
                continue
            picked = _pick(name, direction, devices)
            if picked is not None:
                chosen[direction] = picked
            elif name:  # a named device that is not there; no device at all for "" is normal
                emit(
                    AudioDeviceProblem(
                        device=name,
                        direction=direction,
                        message=f"{direction} device {name!r} not found; using none",
                    )
                )
        if not chosen:
            return None
        rate = next(iter(chosen.values()))[1].default_rate or 48000
        port = _HeadsetPort(rate)
        headset = cls(port, [])
        try:
            headset._start_streams(chosen, rate, on_failure)
        except Exception as error:
            headset.close()
            for direction, (_, device) in chosen.items():
                emit(
                    AudioDeviceProblem(
                        device=device.name, direction=direction, message=f"cannot open: {error}"
                    )
                )
            return None
        return headset

    def _start_streams(
        self,
        chosen: dict[str, tuple[int, AudioDevice]],
        rate: int,
        on_failure: Callable[[str, str, str], None],
    ) -> None:
        import sounddevice as sd

        block = rate // 50
        port = self.port

        def finished(direction: str, name: str) -> Callable[[], None]:
            def report() -> None:
                if not self.closing:
                    on_failure(name, direction, f"{direction} device {name!r} stopped (unplugged?)")

            return report

        if "input" in chosen:
            index, device = chosen["input"]

            def mic(data: Any, frames: int, time_info: Any, status: Any) -> None:
                port.mic.append(bytes(data))

            self.streams.append(
                sd.RawInputStream(
                    samplerate=rate,
                    blocksize=block,
                    device=index,
                    channels=1,
                    dtype="int16",
                    callback=mic,
                    finished_callback=finished("input", device.name),
                )
            )
        if "output" in chosen:
            index, device = chosen["output"]
            size = block * 2

            def speaker(data: Any, frames: int, time_info: Any, status: Any) -> None:
                pcm = port.speaker.popleft() if port.speaker else b""
                data[:] = (pcm + bytes(size))[:size]

            self.streams.append(
                sd.RawOutputStream(
                    samplerate=rate,
                    blocksize=block,
                    device=index,
                    channels=1,
                    dtype="int16",
                    callback=speaker,
                    finished_callback=finished("output", device.name),
                )
            )
        for stream in self.streams:
            stream.start()

    def attach(self, media: Any) -> None:
        media.startTransmit(self.port)
        self.port.startTransmit(media)

    def detach(self, media: Any) -> None:
        try:
            media.stopTransmit(self.port)
            self.port.stopTransmit(media)
        except pj.Error:
            pass

    def close(self) -> None:
        """Stop the devices and destroy the bridge port (the headset is not used afterwards)."""
        self.closing = True
        for stream in self.streams:
            try:
                stream.close()
            except Exception as error:
                log.warning("closing a headset stream: %s", error)
        self.streams = []
        destroy_port(self.port)
