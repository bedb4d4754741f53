"""Moonshine base English through `moonshine-cpp` 0.1.4 (MIT, Moonshine AI): its wheel ships the
base-en weights (`models/base-en/`, 63 MB of ORT files), the C library that runs them and its own
onnxruntime 1.22; for English it never downloads anything.

The package's Python `MoonshineModel.transcribe` cannot run (it builds `ctypes.c_float_p`, which
does not exist), so the C function `moonshine_transcribe` is called here on the samples' buffer.
The C library decodes on one thread and takes no options (no vocabulary, no thread count).
"""

from __future__ import annotations

import ctypes
import importlib
import importlib.util
from pathlib import Path

import numpy as np

PACKAGE = "moonshine_cpp"
MODEL_FOLDER = "models/base-en"


def package_folder() -> Path | None:
    """Where `moonshine_cpp` is installed, found without importing it (the import loads its
    C libraries), or None."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class MoonshineBaseDecoder:
    """One loaded base-en model; calling it decodes float32 16 kHz samples to text. Not
    thread-safe: the caller serialises calls."""

    def __init__(self, folder: Path) -> None:
        module = importlib.import_module(f"{PACKAGE}.{PACKAGE}")
        self._lib = module.moonshine_lib
        # Loads the three files of `folder`; raises MemoryError when the C library refuses them.
        self._model = module.MoonshineModel(model_dir_path=str(folder), model_type="base")

    def __call__(self, samples: np.ndarray) -> str:
        audio = np.ascontiguousarray(samples, dtype=np.float32)
        text = ctypes.c_char_p()
        error = self._lib.moonshine_transcribe(
            self._model.model_handle,
            audio.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
            audio.size,
            ctypes.byref(text),
        )
        if error != 0:
            raise RuntimeError(f"Moonshine base failed on {audio.size} samples (error {error})")
        try:
            return (text.value or b"").decode("utf-8", errors="replace")
        finally:
            self._lib.moonshine_free_text(text)
