"""The agent's headset through sounddevice (the pjsua2 wheel has no sound devices of its own).

Devices are chosen by name ("" = the system default, "none" = no device). A missing device gives
an `AudioDeviceProblem` event and the engine goes on without it; no sound card at all is fine.
The headset port runs at the device's own rate; PJSIP's bridge resamples.

In the bridge a `Headset` is two media: `capture` (the microphone, a source) and `playback` (the
speaker, a sink). Any pjsua2 media can be either (a WAV player for the microphone, a Python port for
the speaker), so `SipEngine(open_headset=...)` can put a headset together without sound devices.
"""

from __future__ import annotations

import collections
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeAlias

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
    """Created and closed on the SIP thread; PortAudio's callbacks only move bytes. The headset owns
    its media and destroys them on `close()`; `capture` and `playback` may be one port or None."""

    def __init__(self, capture: Any | None, playback: Any | None, streams: list[Any] | None = None) -> None:
        self.capture = capture
        self.playback = playback
        self.streams = streams or []
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
        headset = cls(port if "input" in chosen else None, port if "output" in chosen else None)
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
        mono: dict[str, Any] = {"samplerate": rate, "blocksize": block, "channels": 1, "dtype": "int16"}
        port = self.capture or self.playback
        assert isinstance(port, _HeadsetPort)

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
                    device=index, callback=mic, finished_callback=finished("input", device.name), **mono
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
                    device=index, callback=speaker, finished_callback=finished("output", device.name), **mono
                )
            )
        for stream in self.streams:
            stream.start()

    def attach(self, media: Any) -> None:
        """A call's audio both ways: the microphone into the call, the call into the speaker."""
        self._connect(self.capture, media)
        self._connect(media, self.playback)

    def detach(self, media: Any) -> None:
        self._disconnect(self.capture, media)
        self._disconnect(media, self.playback)

    def connect_agent(self, port: Any) -> bool:
        """The agent's own channel of a call: the microphone into `port`, and `port`'s audio into the
        speaker only. Returns whether a speaker listens."""
        self._connect(self.capture, port)
        self._connect(port, self.playback)
        return self.playback is not None

    @staticmethod
    def _connect(source: Any | None, sink: Any | None) -> None:
        if source is not None and sink is not None:
            source.startTransmit(sink)

    @staticmethod
    def _disconnect(source: Any | None, sink: Any | None) -> None:
        if source is not None and sink is not None:
            with contextlib.suppress(pj.Error):  # the stream is already gone (hold, hang-up)
                source.stopTransmit(sink)

    def close(self) -> None:
        """Stop the devices and destroy the bridge media (the headset is not used afterwards)."""
        self.closing = True
        for stream in self.streams:
            try:
                stream.close()
            except Exception as error:
                log.warning("closing a headset stream: %s", error)
        self.streams = []
        for media in {id(m): m for m in (self.capture, self.playback) if m is not None}.values():
            destroy_port(media)
        self.capture = self.playback = None


# `Headset.open`'s signature: (input name, output name, emit an event, report a device failure).
HeadsetOpener: TypeAlias = Callable[
    [str, str, Callable[[SipEvent], None], Callable[[str, str, str], None]], "Headset | None"
]
