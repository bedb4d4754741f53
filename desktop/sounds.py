"""Sounds the app makes itself (no audio files to ship): the ringtone and the test tone, played
on the agent's output device through sounddevice. Without a device they are silently skipped
(the incoming-call notification is still shown)."""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

RATE = 24_000


def tone(freq_hz: float, seconds: float, volume: float = 0.3) -> np.ndarray:
    t = np.arange(int(RATE * seconds)) / RATE
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.01)  # 10 ms ramps: no clicks
    return (volume * fade * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)


def ringtone() -> np.ndarray:
    """Two short two-tone bursts and a pause (about 3 s), loopable."""
    burst = tone(440, 0.4) + tone(480, 0.4)
    gap = np.zeros(int(RATE * 0.2), dtype=np.float32)
    pause = np.zeros(int(RATE * 1.8), dtype=np.float32)
    return np.concatenate([burst, gap, burst, pause]) * 0.5


def output_device(name: str) -> str | int | None:
    """Settings store devices by name ("" = system default, "none" = no device)."""
    return None if name in ("", "default") else name


class Player:
    """Plays float samples on the configured output device; errors are logged, never raised."""

    def __init__(self, device_name: str = "") -> None:
        self.device_name = device_name

    def play(self, samples: np.ndarray, loop: bool = False) -> bool:
        if self.device_name == "none":
            return False
        try:
            import sounddevice as sd

            sd.play(samples, RATE, device=output_device(self.device_name), loop=loop)
        except Exception as exc:  # PortAudio missing, no device, device unplugged: keep going silently
            log.info("cannot play sound on %r: %s", self.device_name or "default device", exc)
            return False
        return True

    def stop(self) -> None:
        try:
            import sounddevice as sd

            sd.stop()
        except Exception as exc:
            log.debug("stopping sound: %s", exc)
