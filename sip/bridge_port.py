"""The pjsua2 media port that connects one call (or its agent side) to an `AudioChannel` (runs on the
clock thread)."""

from __future__ import annotations

import logging
import time
from typing import Any

import pjsua2 as pj

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS, SAMPLE_RATE
from earpiece.sip.call_audio import SILENCE, AudioChannel
from earpiece.sip.clock_thread import CLOCK
from earpiece.sip.pcm_vector import vector_bytes

log = logging.getLogger(__name__)


def pcm16_format(sample_rate: int = SAMPLE_RATE, frame_ms: int = FRAME_MS) -> Any:
    fmt = pj.MediaFormatAudio()
    fmt.init(pj.PJMEDIA_FORMAT_PCM, sample_rate, 1, frame_ms * 1000, 16)
    return fmt


def destroy_port(port: Any) -> None:
    """Free a media port's C++ side (an `AudioMediaPort`, a WAV player, ...) now, while the Python
    object is whole (SIP thread).

    The conference bridge calls a port every 20 ms while it is registered, connected or not. Letting
    the last Python reference go instead races the clock thread: Python starts deallocating (the
    instance attributes are cleared first), then the C++ destructor waits, with the GIL released,
    for a callback that is running on that dying object, whose reference counting then frees it a
    second time. The heap corruption surfaced as crashes in unrelated code (SIGSEGV in json decoding,
    SIGABRT), about one test run in ten. Deleting the C++ object explicitly waits for any running
    callback on a live object, and no callback follows (pjsua2 clears its back pointer under the
    port's lock). The Python object must not be used afterwards.
    """
    if port.thisown:
        type(port).__swig_destroy__(port)
        port.thisown = False


class BridgePort(pj.AudioMediaPort):
    """Created, connected and destroyed (`destroy_port`) on the SIP thread; its callbacks run on the
    clock thread. The class-level `_audio = None` makes a callback that still reaches a half-destroyed
    object a no-op."""

    _audio: AudioChannel[Any] | None = None

    def __init__(self, audio: AudioChannel[Any], name: str) -> None:
        super().__init__()
        self._audio = audio
        self.createPort(name, pcm16_format())

    def onFrameReceived(self, frame: Any) -> None:
        started = time.monotonic()
        CLOCK.on_clock_thread()
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
