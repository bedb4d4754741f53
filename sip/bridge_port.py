"""The pjsua2 media port that connects one call to its `CallAudio` (runs on the clock thread)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pjsua2 as pj

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS, SAMPLE_RATE
from earpiece.sip.call_audio import SILENCE, CallAudio
from earpiece.sip.pcm_vector import vector_bytes

log = logging.getLogger(__name__)


def pcm16_format(sample_rate: int = SAMPLE_RATE, frame_ms: int = FRAME_MS) -> Any:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, sample_rate, 1, frame_ms * 1000, 16)
    return fmt


class BridgePort(pj.AudioMediaPort):
    """Created, connected and destroyed on the SIP thread; its callbacks run on the clock thread.

    The conference bridge calls a port every 20 ms while it is registered, connected or not. When the
    last reference goes, Python clears the instance attributes before the C++ destructor (run with the
    GIL released) takes the port out of the bridge, so a callback can still arrive in between: the
    class-level None makes it a no-op instead of an AttributeError.
    """

    _audio: CallAudio | None = None

    def __init__(self, audio: CallAudio, name: str) -> None:
        super().__init__()
        self._audio = audio
        self.createPort(name, pcm16_format())

    def onFrameReceived(self, frame: Any) -> None:
        started = time.monotonic()
        audio = self._audio
        if audio is None:
            return
        try:
            pcm = vector_bytes(frame.buf) if frame.type == pj.PJMEDIA_FRAME_TYPE_AUDIO else SILENCE
            if len(pcm) != BYTES_PER_FRAME:
                pcm = (pcm + SILENCE)[:BYTES_PER_FRAME]
            audio._deliver(pcm, started)
        except Exception:  # an exception escaping here would pin objects past libDestroy
            log.exception("incoming audio frame dropped")

    def onFrameRequested(self, frame: Any) -> None:
        started = time.monotonic()
        audio = self._audio
        if audio is None:
            return
        try:
            pcm = audio._next_outgoing(frame.size or BYTES_PER_FRAME, started)
            if pcm is not None:
                frame.buf = pj.ByteVector(pcm)
                frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception:
            log.exception("outgoing audio frame dropped")
