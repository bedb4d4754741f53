"""Voice activity on 20 ms frames with Silero VAD v5 (ONNX, MIT), a selectable alternative to
webrtcvad.

Silero judges 512-sample (32 ms) windows, each with the 64 samples before it as context and a
recurrent state carried from window to window; so one instance follows one audio stream. A 20 ms
frame is speech when the latest window's probability reaches the threshold (frames are buffered
until a window is full). The ONNX session is shared by every instance in the process.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

import numpy as np
import onnxruntime as ort

from earpiece.core.audio.frames import SAMPLE_RATE, AudioFrame
from earpiece.core.audio.model_files import silero_vad_file
from earpiece.core.audio.pcm import pcm16_to_float

WINDOW = 512
CONTEXT = 64

_sessions_lock = threading.Lock()


@functools.cache
def _session(path: Path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own exception types
        raise ValueError(f"{path} is not a loadable ONNX model: {exc}") from exc


class SileroVoiceActivity:
    """Is this 20 ms frame speech? Silero VAD v5; one instance per audio stream."""

    def __init__(self, model_path: str = "", threshold: float = 0.5) -> None:
        path = silero_vad_file(model_path)
        with _sessions_lock:
            self._session = _session(path)
        self.threshold = threshold
        self._sr = np.array(SAMPLE_RATE, dtype=np.int64)
        self.reset()

    def reset(self) -> None:
        self._state = np.zeros((2, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)
        self._probability = 0.0

    def probability(self, window: np.ndarray) -> float:
        """Speech probability of the next 512 samples of the stream (float32 in [-1, 1])."""
        x = np.concatenate([self._context, window])[None, :]
        output, self._state = self._session.run(None, {"input": x, "state": self._state, "sr": self._sr})
        self._context = window[-CONTEXT:]
        return float(np.asarray(output).reshape(-1)[0])

    def is_speech(self, frame: AudioFrame) -> bool:
        self._pending = np.concatenate([self._pending, pcm16_to_float(frame.pcm)])
        while self._pending.size >= WINDOW:
            self._probability = self.probability(self._pending[:WINDOW])
            self._pending = self._pending[WINDOW:]
        return self._probability >= self.threshold
