"""glibc's malloc arenas are capped in the agent and in the processes it starts (`limit_malloc_arenas`):
threads that allocate at the same time share two arenas instead of getting one each."""

from __future__ import annotations

import os
import platform
import subprocess
import sys

import pytest

from earpiece.core.calls.memory import MALLOC_ARENAS

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's allocator only")

# Eight threads allocate while all of them are alive; glibc's malloc_stats() then prints one "Arena N:"
# block per arena on stderr.
PROBE = """
import ctypes, ctypes.util, threading
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype = ctypes.c_void_p
barrier = threading.Barrier(8)
def allocate():
    libc.malloc(64)
    barrier.wait()
threads = [threading.Thread(target=allocate) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
libc.malloc_stats()
"""
LIMITED = f"from earpiece.core.calls.memory import limit_malloc_arenas\nassert limit_malloc_arenas()\n{PROBE}"
CHILD = (
    "import subprocess, sys\nfrom earpiece.core.calls.memory import limit_malloc_arenas\n"
    f"limit_malloc_arenas()\nsys.stderr.write(subprocess.run([sys.executable, '-c', {PROBE!r}], "
    "capture_output=True, text=True).stderr)"
)


def arenas(code: str, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True,
                          check=True)
    return sum(line.startswith("Arena ") for line in done.stderr.splitlines())


def test_threads_get_arenas_of_their_own_by_default() -> None:
    assert arenas(PROBE) > MALLOC_ARENAS  # the probe can see what the limit prevents


def test_the_limit_holds_in_the_process() -> None:
    assert arenas(LIMITED) <= MALLOC_ARENAS


def test_the_limit_reaches_the_processes_it_starts() -> None:
    assert arenas(CHILD) <= MALLOC_ARENAS


def test_a_limit_the_user_set_is_kept_in_the_process_and_its_children() -> None:
    user_limit = MALLOC_ARENAS + 2
    kept = LIMITED.replace("assert limit_malloc_arenas()", "assert not limit_malloc_arenas()")
    assert arenas(kept, MALLOC_ARENA_MAX=str(user_limit)) == user_limit
    assert arenas(CHILD, MALLOC_ARENA_MAX="1") == 1
