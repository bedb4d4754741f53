"""Give freed native memory back to the system after a call.

A call's models and audio allocate and free many native buffers (ONNX Runtime, NumPy, PJSIP);
glibc keeps the freed ones in its arenas, so a long-running agent's resident size grows call after
call although nothing leaks. `malloc_trim(0)` returns those free pages. Other C libraries (musl,
macOS, Windows) have no `malloc_trim`: there the call is a no-op.
"""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None when the C library has none."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        trim: Callable[[int], int] = libc.malloc_trim
    except (OSError, AttributeError, TypeError) as exc:
        log.debug("no malloc_trim in the C library (%s): freed memory is left to the allocator", exc)
        return None
    trim.argtypes = [ctypes.c_size_t]  # type: ignore[attr-defined]
    trim.restype = ctypes.c_int  # type: ignore[attr-defined]
    return trim


def trim_native_memory() -> bool:
    """Return the C heap's free pages to the system; False when there is no glibc to ask."""
    trim = _malloc_trim()
    if trim is None:
        return False
    released = trim(0)
    log.debug("malloc_trim(0): %s", "memory released" if released else "nothing to release")
    return True


async def release_memory_after_call() -> None:
    """`trim_native_memory` off the event loop (a trim of a large heap takes milliseconds)."""
    await asyncio.to_thread(trim_native_memory)
