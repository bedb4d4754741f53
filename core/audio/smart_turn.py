"""Smart Turn v3: is the caller's utterance complete? An audio model on the last 8 s of speech.

The model (a Whisper-tiny encoder with a classifier, int8 ONNX) takes Whisper's log-mel features
of exactly 8 s of 16 kHz audio — the end of the utterance, zero-padded in front when shorter —
and returns the probability that the speaker has finished. The features are computed here with
numpy from their definition: waveform normalised to zero mean and unit variance, a centred STFT
(400-sample periodic Hann window, hop 160), power spectrum, 80 Slaney mel bands up to 8 kHz,
log10 clamped to 8 decades below the peak, scaled by (x + 4) / 4.

`SmartTurnModel.judge` takes ~50 ms on one core: call it from a worker thread, never on the loop
that paces the audio. One `InferenceSession` serves every call (onnxruntime's `run` is
thread-safe).
"""

from __future__ import annotations

import functools
import threading
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort

from earpiece.core.audio.frames import SAMPLE_RATE
from earpiece.core.audio.model_files import smart_turn_file
from earpiece.core.audio.pcm import pcm16_to_float
from earpiece.core.audio.turn_settings import TurnSettings
from earpiece.core.audio.turn_verdict import TurnVerdict

WINDOW_S = 8
N_FFT = 400
HOP = 160
N_MELS = 80
WINDOW_SAMPLES = WINDOW_S * SAMPLE_RATE  # 128 000
N_FRAMES = WINDOW_SAMPLES // HOP  # 800


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(hz < 1000.0, hz * 3.0 / 200.0, 15.0 + np.log(np.maximum(hz, 1e-10) / 1000.0) / log_step)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    log_step = np.log(6.4) / 27.0
    return np.where(mel < 15.0, mel * 200.0 / 3.0, 1000.0 * np.exp(log_step * (mel - 15.0)))


@functools.cache
def mel_filterbank() -> np.ndarray:
    """(80, 201) triangular filters on the rFFT bins, each normalised to unit area (Slaney)."""
    fft_hz = np.linspace(0.0, SAMPLE_RATE / 2, N_FFT // 2 + 1)
    top = _hz_to_mel(np.array(SAMPLE_RATE / 2))
    edges = _mel_to_hz(np.linspace(0.0, float(top), N_MELS + 2))
    rising = (fft_hz[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    falling = (edges[2:, None] - fft_hz[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    triangles = np.maximum(0.0, np.minimum(rising, falling))
    return triangles * (2.0 / (edges[2:] - edges[:-2]))[:, None]


@functools.cache
def _hann() -> np.ndarray:
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)


def last_window(samples: np.ndarray) -> np.ndarray:
    """The last 8 s of `samples`, zero-padded in front to exactly 8 s."""
    tail = np.asarray(samples, dtype=np.float32)[-WINDOW_SAMPLES:]
    return np.concatenate([np.zeros(WINDOW_SAMPLES - tail.size, dtype=np.float32), tail])


def log_mel_features(window: np.ndarray) -> np.ndarray:
    """Whisper's (80, 800) log-mel features of an 8 s window (see the module docstring)."""
    if window.shape != (WINDOW_SAMPLES,):
        raise ValueError(f"the turn model takes {WINDOW_SAMPLES} samples, got {window.shape}")
    x = window.astype(np.float32)
    x = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    padded = np.pad(x.astype(np.float64), N_FFT // 2, mode="reflect")
    frames = np.lib.stride_tricks.sliding_window_view(padded, N_FFT)[::HOP][:N_FRAMES]
    power = np.abs(np.fft.rfft(frames * _hann(), axis=1)) ** 2  # (800, 201)
    mel = np.maximum(mel_filterbank() @ power.T, 1e-10)
    log_mel = np.log10(mel)
    log_mel = np.maximum(log_mel, log_mel.max() - 8.0)
    return ((log_mel + 4.0) / 4.0).astype(np.float32)


class SmartTurnModel:
    """Smart Turn v3 on CPU. `judge` is thread-safe; load once per process with `load_smart_turn`."""

    def __init__(self, path: Path, *, threshold: float = 0.5, threads: int = 1) -> None:
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        try:
            self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise ValueError(f"{path} is not a loadable ONNX model: {exc}") from exc
        inputs = self._session.get_inputs()
        if [i.name for i in inputs] != ["input_features"] or inputs[0].shape[1:] != [N_MELS, N_FRAMES]:
            raise ValueError(f"{path} is not a Smart Turn v3 model (inputs: {[i.name for i in inputs]})")
        self.path = path
        self.threshold = threshold

    def probability(self, samples: np.ndarray) -> float:
        """P(complete) for float samples at 16 kHz (the utterance so far; only the last 8 s count)."""
        features = log_mel_features(last_window(samples))[None]
        (output,) = self._session.run(["logits"], {"input_features": features})
        return float(np.asarray(output).reshape(-1)[0])

    def judge(self, pcm16k: bytes) -> TurnVerdict:
        """Is this utterance (16 kHz mono PCM16) complete?"""
        start = time.perf_counter()
        p = self.probability(pcm16_to_float(pcm16k))
        return TurnVerdict(p >= self.threshold, p, round((time.perf_counter() - start) * 1000, 1))


_loaded: dict[tuple[Path, float, int], SmartTurnModel] = {}
_loaded_lock = threading.Lock()


def load_smart_turn(settings: TurnSettings) -> SmartTurnModel:
    """The shared model for these settings (~0.2 s the first time)."""
    path = smart_turn_file(settings.model_path)
    key = (path, settings.threshold, settings.threads)
    with _loaded_lock:
        if key not in _loaded:
            _loaded[key] = SmartTurnModel(path, threshold=settings.threshold, threads=settings.threads)
        return _loaded[key]
