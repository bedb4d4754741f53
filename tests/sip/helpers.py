"""Shared test helpers for the SIP engine: an event recorder and audio measurements."""

from __future__ import annotations

import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from earpiece.sip.events import CallState, CallStateChanged, IncomingCall, SipEvent
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.process import wait_for

E = TypeVar("E", bound=SipEvent)


class EventLog:
    """Records every engine event (subscriber on the SIP thread) and waits for matching ones."""

    def __init__(self) -> None:
        self.events: list[SipEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: SipEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def mark(self) -> int:
        with self._cond:
            return len(self.events)

    def of(self, kind: type[E], since: int = 0) -> list[E]:
        with self._cond:
            return [e for e in self.events[since:] if isinstance(e, kind)]

    def wait(
        self,
        kind: type[E],
        where: Callable[[E], bool] = lambda e: True,
        timeout: float = 10.0,
        since: int = 0,
    ) -> E:
        def find() -> E | None:
            return next((e for e in self.of(kind, since) if where(e)), None)

        with self._cond:
            if not self._cond.wait_for(lambda: find() is not None, timeout):
                recent = "\n  ".join(repr(e) for e in self.events[since:][-15:])
                raise AssertionError(
                    f"no matching {kind.__name__} within {timeout} s; recent events:\n  {recent}"
                )
        found = find()
        assert found is not None
        return found


def call_from(peer: Baresip, registrar: Kamailio, events: EventLog) -> str:
    """`peer` calls alice (registered, auto-answering); returns the call id once it is confirmed."""
    assert wait_for(lambda: "OK" in peer.command("reginfo")["data"], 5, 0.1)
    peer.command("dial", f"sip:alice@{registrar.domain}:{registrar.port}")
    call_id = events.wait(IncomingCall, timeout=5).call_id
    events.wait(
        CallStateChanged, lambda e: e.call_id == call_id and e.state is CallState.CONFIRMED, timeout=5
    )
    return call_id


def tone(frequency: float, seconds: float, rate: int = 16000, amplitude: float = 0.4) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    return (np.sin(2 * np.pi * frequency * t) * amplitude * 32767).astype("<i2").tobytes()


def write_wav(path: Path, pcm: bytes, rate: int = 16000) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm)
    return path


def read_wav(path: Path) -> tuple[bytes, int]:
    with wave.open(str(path), "rb") as wav:
        assert wav.getnchannels() == 1 and wav.getsampwidth() == 2
        return wav.readframes(wav.getnframes()), wav.getframerate()


def dominant_frequency(pcm: bytes, rate: int = 16000) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / rate)[int(np.argmax(spectrum[1:])) + 1])


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if len(samples) else 0.0


def tone_level(pcm: bytes, frequency: float, rate: int = 16000, width: float = 20.0) -> float:
    """Amplitude (PCM16 units) of the strongest component within `width` Hz of `frequency`: a sine of
    amplitude A gives about A, also mixed with other tones."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window)) * 2 / window.sum()
    band = np.abs(np.fft.rfftfreq(len(samples), 1 / rate) - frequency) < width
    return float(spectrum[band].max())


def steady_tone_level(pcm: bytes, frequency: float, rate: int = 16000) -> float:
    """`tone_level` of the median 40 ms block: a few silent or glitched frames (a jitter buffer refilling
    after a device switch) do not pull it down as they pull down one spectrum over the whole stretch."""
    block = rate * 40 // 1000 * 2
    levels = [tone_level(pcm[start:start + block], frequency, rate)
              for start in range(0, len(pcm) - block + 1, block)]
    return float(np.median(levels))
