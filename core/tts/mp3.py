"""Streaming MP3 -> 16 kHz mono PCM16 with PyAV (FFmpeg's decoder) and soxr.

PyAV is imported by the decoder, not with this module: Edge TTS, its one user, is off by default,
and FFmpeg's libraries cost a process ~8 MB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import soxr

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.pcm import float_to_pcm16

if TYPE_CHECKING:
    import av


class Mp3DecodeError(ValueError):
    pass


class Mp3StreamDecoder:
    """Feed MP3 bytes as they arrive; get PCM for every complete MP3 frame so far.

    Packets FFmpeg rejects (an ID3 tag, a damaged frame) are skipped and counted in
    `bad_packets`; whether a stream that yields no audio at all is an error is the caller's call.
    """

    def __init__(self) -> None:
        import av

        self._codec = av.CodecContext.create("mp3", "r")
        self._resampler: soxr.ResampleStream | None = None
        self.bad_packets = 0

    def feed(self, data: bytes) -> bytes:
        return self._parse(data)

    def finish(self) -> bytes:
        """Decode what is left and drain the resampler."""
        pcm = self._parse(b"")
        if self._resampler is None:
            return pcm
        tail = self._resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        return pcm + float_to_pcm16(tail)

    def _parse(self, data: bytes) -> bytes:
        import av

        try:
            return self._decode(self._codec.parse(data))
        except av.FFmpegError as exc:
            raise Mp3DecodeError(f"undecodable MP3 data: {exc}") from exc

    def _decode(self, packets: list[av.Packet]) -> bytes:
        import av

        out = []
        for packet in packets:
            try:
                frames = self._codec.decode(packet)
            except av.InvalidDataError:
                self.bad_packets += 1
                continue
            for frame in frames:
                samples = frame.to_ndarray()
                if samples.dtype.kind == "i":  # s16/s32 decoders: scale to [-1, 1]
                    samples = samples / float(2 ** (8 * samples.itemsize - 1))
                samples = samples.astype(np.float32)
                if frame.format.is_planar:
                    mono = samples.mean(axis=0)
                else:  # interleaved: one row of channels * samples
                    mono = samples.reshape(-1, len(frame.layout.channels)).mean(axis=1)
                if self._resampler is None:
                    self._resampler = soxr.ResampleStream(frame.sample_rate, SAMPLE_RATE, 1, dtype="float32")
                out.append(float_to_pcm16(self._resampler.resample_chunk(mono)))
        return b"".join(out)
