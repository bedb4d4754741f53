"""A private X display for the tests that need a real window. Xvfb picks a free display number
itself (-displayfd), so parallel runs and other X servers on the machine do not collide."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def virtual_display(screen: str = "1400x900x24") -> Iterator[str]:
    """Yields the DISPLAY value (":N") of a fresh Xvfb server, stopped afterwards."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError("Xvfb is not installed; `make test` installs it (apt-get install xvfb)")
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    os.close(write_fd)
    try:
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            raise RuntimeError(f"Xvfb exited with {server.wait(5)} before opening a display")
        yield f":{number}"
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
