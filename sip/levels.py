"""The agent's headset volumes: how loud the microphone goes into calls and how loud calls play in the
speaker, as levels of the headset's media in PJSIP's conference bridge (1.0 = as is, 0.0 = silent,
2.0 = about +6 dB). They stay when the headset is switched to other devices."""

from __future__ import annotations

from dataclasses import dataclass

from earpiece.sip.headset import Headset

MAX_LEVEL = 2.0


def checked_level(name: str, level: float) -> float:
    if not 0.0 <= level <= MAX_LEVEL:
        raise ValueError(f"the {name} volume must be from 0.0 to {MAX_LEVEL} (1.0 = unchanged), got {level}")
    return float(level)


@dataclass(slots=True)
class HeadsetVolume:
    microphone: float = 1.0
    speaker: float = 1.0

    def apply(self, headset: Headset | None) -> None:
        """Set the levels on `headset`'s media (SIP thread); None = no headset now, nothing to do."""
        if headset is None:
            return
        if headset.capture is not None:  # what the microphone sends into the bridge
            headset.capture.adjustTxLevel(self.microphone)
        if headset.playback is not None:  # what the bridge sends to the speaker
            headset.playback.adjustRxLevel(self.speaker)
