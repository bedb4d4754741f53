"""glibc's mmap threshold stays fixed in the agent and in the processes it starts (the recognition
workers), so large freed blocks go back to the system (earpiece.headless.heap)."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
import subprocess
import sys

import pytest

from earpiece.headless.heap import MMAP_THRESHOLD

pytestmark = pytest.mark.skipif(
    platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc's allocator only"
)


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost",
    )]


def mapped_after_large_free() -> bool:
    """Whether a block of 4x the threshold is still served by its own mapping once a block of 32x
    was freed (glibc's dynamic threshold would have risen to 32x and served it from the heap)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.mallinfo2.restype = _MallInfo2
    libc.free(libc.malloc(32 * MMAP_THRESHOLD))
    before = libc.mallinfo2().hblks
    block = libc.malloc(4 * MMAP_THRESHOLD)
    mapped = bool(libc.mallinfo2().hblks > before)
    libc.free(block)
    return mapped


def _child(code: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return done.stdout.strip()


PROBE = "from tests.headless.test_heap import mapped_after_large_free as m; print(m())"
FIXED_THEN_PROBE = f"from earpiece.headless.heap import fix_mmap_threshold; fix_mmap_threshold(); {PROBE}"
FIXED_THEN_CHILD = (
    "import subprocess, sys; from earpiece.headless.heap import fix_mmap_threshold; fix_mmap_threshold(); "
    f"print(subprocess.run([sys.executable, '-c', {PROBE!r}], capture_output=True, text=True).stdout)"
)


def test_without_the_fix_glibc_raises_the_threshold() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    assert _child(PROBE, env) == "False"  # the probe can tell


def test_the_threshold_stays_fixed_in_the_process_and_in_the_processes_it_starts() -> None:
    env = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
    assert _child(FIXED_THEN_PROBE, env) == "True"
    assert _child(FIXED_THEN_CHILD, env) == "True"


def test_a_users_own_tunables_are_kept() -> None:
    env = {**os.environ, "GLIBC_TUNABLES": "glibc.malloc.arena_max=2"}
    code = ("import os; from earpiece.headless.heap import fix_mmap_threshold; fix_mmap_threshold(); "
            "print(os.environ['GLIBC_TUNABLES'])")
    assert _child(code, env) == f"glibc.malloc.arena_max=2:glibc.malloc.mmap_threshold={MMAP_THRESHOLD}"
