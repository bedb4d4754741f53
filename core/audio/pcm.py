"""Conversions between PCM16 bytes, float samples and the engine's 16 kHz mono format."""

from __future__ import annotations

import numpy as np
import soxr

from earpiece.core.audio.frames import BYTES_PER_FRAME, FRAME_MS, SAMPLE_RATE, AudioFrame


def pcm16_to_float(pcm: bytes) -> np.ndarray:
    """PCM16 bytes -> float32 samples in [-1, 1]."""
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0


def float_to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] -> PCM16 bytes (clipped)."""
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 32767 / 32768)
    return (clipped * 32768.0).astype("<i2").tobytes()


def to_mono_16k(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Float samples shaped (n,) or (n, channels) at any rate -> mono float32 at 16 kHz."""
    data = np.asarray(samples, dtype=np.float32)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if sample_rate == SAMPLE_RATE:
        return data
    return np.asarray(soxr.resample(data, sample_rate, SAMPLE_RATE), dtype=np.float32)


def split_frames(pcm: bytes, start_at: float = 0.0) -> list[AudioFrame]:
    """Cut 16 kHz PCM16 into 20 ms frames stamped `start_at`, `start_at + 0.02`, ...

    A partial last frame is padded with silence.
    """
    remainder = len(pcm) % BYTES_PER_FRAME
    if remainder:
        pcm += bytes(BYTES_PER_FRAME - remainder)
    return [
        AudioFrame(pcm[i : i + BYTES_PER_FRAME], start_at + n * FRAME_MS / 1000)
        for n, i in enumerate(range(0, len(pcm), BYTES_PER_FRAME))
    ]


def duration_s(pcm: bytes) -> float:
    return len(pcm) / 2 / SAMPLE_RATE


def rms_dbfs(pcm: bytes) -> float:
    """The RMS level of PCM16 in dB below full scale (-200 for digital silence)."""
    samples = pcm16_to_float(pcm)
    rms = float(np.sqrt(np.mean(np.square(samples)))) if len(samples) else 0.0
    return 20 * float(np.log10(max(rms, 1e-10)))


def trim_leading_quiet(pcm: bytes, floor_dbfs: float, keep_ms: float) -> bytes:
    """16 kHz PCM16 from `keep_ms` before its first sample above `floor_dbfs` (peak); all of it when
    none is."""
    loud = np.flatnonzero(np.abs(pcm16_to_float(pcm)) > 10 ** (floor_dbfs / 20))
    if not len(loud):
        return pcm
    start = max(0, int(loud[0]) - int(keep_ms * SAMPLE_RATE / 1000))
    return pcm[2 * start :]
