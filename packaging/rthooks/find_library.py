"""Runtime hook: `ctypes.util.find_library` also finds the libraries bundled in the app (Linux).

sounddevice looks PortAudio up with `find_library("portaudio")`, which on Linux asks the system
(`ldconfig -p`) only, so on a machine without `libportaudio2` the copy the bundle carries would
never be used. The system's library still wins when there is one.
"""

import ctypes.util
import glob
import os
import sys

_find_system_library = ctypes.util.find_library


def _find_library(name: str) -> str | None:
    found = _find_system_library(name)
    if found is None and sys.platform.startswith("linux"):
        bundled = sorted(glob.glob(os.path.join(sys._MEIPASS, f"lib{name}.so*")))
        return bundled[0] if bundled else None
    return found


ctypes.util.find_library = _find_library
