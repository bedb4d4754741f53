"""Call recording: a WAV file per call (16 kHz mono, PCM16) of what both parties hear, the remote
party's audio mixed with ours (the agent's headset microphone and any reply Earpiece speaks into the
call). Whispers into the agent's headset are not in it, nor the microphone while the call is muted:
the caller never heard them.

A `pjsua2.AudioMediaRecorder` in the conference bridge (SIP thread only). The call's media are re-created
on hold/resume and the headset may be switched, so `rewire` connects the current ones again; ending a
recording, or the call, destroys the recorder, which drops every link to it.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.bridge_port import destroy_port

if TYPE_CHECKING:
    from earpiece.sip.calls import SipCall
    from earpiece.sip.headset import Headset


class CallRecordings:
    """The recordings of live calls, by call id."""

    def __init__(self) -> None:
        self._recorders: dict[str, tuple[Any, Path]] = {}

    def start(self, call: SipCall, path: Path, headset: Headset | None) -> None:
        """Record `call` into `path` (a new WAV file; the folder is created). Recording a call that is
        already being recorded is an error, so one file holds one call."""
        if call.call_id in self._recorders:
            path_now = self._recorders[call.call_id][1]
            raise ValueError(f"call {call.call_id} is already being recorded to {path_now}")
        path.parent.mkdir(parents=True, exist_ok=True)
        recorder = pj.AudioMediaRecorder()
        recorder.createRecorder(str(path))
        self._recorders[call.call_id] = (recorder, path)
        self.rewire(call, headset)

    def rewire(self, call: SipCall, headset: Headset | None) -> None:
        """Connect the call's current audio (remote party, our reply port, the headset microphone
        unless the call is muted)."""
        entry = self._recorders.get(call.call_id)
        if entry is None:
            return
        recorder = entry[0]
        microphone = headset.capture if headset is not None else None
        for source in [*call.media, call.port, None if call.muted else microphone]:
            if source is not None:
                with contextlib.suppress(pj.Error):  # a stream torn down meanwhile (hold, hang-up)
                    source.startTransmit(recorder)
        if call.muted and microphone is not None:
            with contextlib.suppress(pj.Error):  # not connected
                microphone.stopTransmit(recorder)

    def stop(self, call_id: str) -> Path | None:
        """End the recording (the WAV header is completed); the file's path, None if none ran."""
        entry = self._recorders.pop(call_id, None)
        if entry is None:
            return None
        recorder, path = entry
        destroy_port(recorder)  # closes the file; the bridge drops every link to it
        return path

    def recording(self, call_id: str) -> Path | None:
        entry = self._recorders.get(call_id)
        return entry[1] if entry is not None else None

    def stop_all(self) -> None:
        for call_id in list(self._recorders):
            self.stop(call_id)
