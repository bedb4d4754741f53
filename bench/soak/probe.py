"""Measurements taken inside the agent process during a soak (Python heap against native memory).

`bench.soak` starts the agent with `agent_probe/` on its PYTHONPATH and `EARPIECE_SOAK_PROBE` set to
a Unix socket path; the `sitecustomize` there calls `serve()`, which answers one JSON command per
connection from a daemon thread (it never touches pjsua2, so it needs no pjsua2 thread registration):

- `figures`: RSS and anonymous memory, glibc malloc's totals over all its arenas (`mallinfo2`) and
  the number of arenas, the Python heap as tracemalloc sees it (when tracing), threads and fds.
- `objects`: the same, plus live objects by type (gc), asyncio tasks and pjsua2 proxies by class,
  and every OS thread by name (`thread_names`).
- `trim`: `malloc_trim(0)` and the RSS before and after (free memory glibc kept, given back).
- `python-diff`: the tracemalloc sources (file:line) whose live memory grew most since the last
  `python-diff`.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import ctypes
import gc
import json
import os
import re
import socket
import socketserver
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path
from typing import Any

SOCKET_ENV = "EARPIECE_SOAK_PROBE"
MB = 2**20


class _MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks",
        "keepcost")]


_libc = ctypes.CDLL("libc.so.6")
_libc.mallinfo2.restype = _MallInfo2
_libc.malloc_trim.argtypes = [ctypes.c_size_t]
_libc.fopen.restype = ctypes.c_void_p
_libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
_libc.fclose.argtypes = [ctypes.c_void_p]
_libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _arenas() -> int:
    """How many malloc arenas exist (main + one per thread that needed its own), from malloc_info."""
    with tempfile.NamedTemporaryFile(suffix=".xml") as out:
        handle = _libc.fopen(out.name.encode(), b"w")
        _libc.malloc_info(0, handle)
        _libc.fclose(handle)
        return len(re.findall(r"<heap nr=", Path(out.name).read_text()))


def figures() -> dict[str, Any]:
    info = _libc.mallinfo2()
    out: dict[str, Any] = {
        "rss_mb": _status_mb("VmRSS"),
        "anon_mb": _status_mb("RssAnon"),
        "file_mb": _status_mb("RssFile"),
        "malloc_in_use_mb": round((info.uordblks + info.hblkhd) / MB, 1),
        "malloc_free_held_mb": round(info.fordblks / MB, 1),  # free inside arenas, not given back
        "malloc_mmapped_mb": round(info.hblkhd / MB, 1),
        "malloc_arenas": _arenas(),
        "python_blocks": sys.getallocatedblocks(),  # live objects in Python's own allocator
        "threads": threading.active_count(),
        "os_threads": len(os.listdir("/proc/self/task")),
        "open_fds": len(os.listdir("/proc/self/fd")),
    }
    if tracemalloc.is_tracing():
        out["python_traced_mb"] = round(tracemalloc.get_traced_memory()[0] / MB, 1)
    return out


def thread_names() -> list[str]:
    """Every OS thread of the process by name, sorted: a Python thread's own name (`threading`), else
    the OS name (/proc/self/task/<tid>/comm: PJSIP's, onnxruntime's, ... threads; Python threads that
    no name was given show the program's name)."""
    python = {t.native_id: _python_name(t) for t in threading.enumerate()}
    names = []
    for tid in os.listdir("/proc/self/task"):
        with contextlib.suppress(OSError):  # the thread ended meanwhile
            names.append(python.get(int(tid)) or Path(f"/proc/self/task/{tid}/comm").read_text().strip())
    return sorted(names)


def _python_name(thread: threading.Thread) -> str:
    """The thread's name; a default one ("Thread-3") with its class, which says whose it is (the
    standard library's process pool runs an unnamed `_ExecutorManagerThread`)."""
    kind = type(thread).__name__
    default_name = thread.name.startswith("Thread-") and kind != "Thread"
    return f"{thread.name} ({kind})" if default_name else thread.name


def objects() -> dict[str, Any]:
    gc.collect()
    live = gc.get_objects()
    by_type = collections.Counter(type(o).__qualname__ for o in live)
    pjsua2 = collections.Counter(
        type(o).__qualname__ for o in live
        if any(c.__module__ == "pjsua2" for c in type(o).__mro__[:-1]) and not isinstance(o, type))
    tasks = collections.Counter(getattr(o.get_coro(), "__qualname__", "?") for o in live
                                if isinstance(o, asyncio.Task) and not o.done())
    del live
    return {**figures(), "gc_objects": sum(by_type.values()), "asyncio_tasks": dict(tasks),
            "pjsua2_objects": dict(pjsua2.most_common()), "top_types": dict(by_type.most_common(25)),
            "thread_names": thread_names()}


def trim() -> dict[str, Any]:
    before = _status_mb("VmRSS")
    started = time.perf_counter()
    _libc.malloc_trim(0)
    took_ms = round((time.perf_counter() - started) * 1000, 1)
    return {"rss_before_mb": before, "rss_after_mb": _status_mb("VmRSS"), "took_ms": took_ms}


_last: tracemalloc.Snapshot | None = None


def python_diff() -> dict[str, Any]:
    global _last
    if not tracemalloc.is_tracing():
        return {"error": "tracemalloc is off (start the agent with PYTHONTRACEMALLOC=1)"}
    snap = tracemalloc.take_snapshot()
    grew = [] if _last is None else [
        {"where": str(s.traceback), "size_mb": round(s.size / MB, 3), "grew_mb": round(s.size_diff / MB, 3),
         "count_diff": s.count_diff}
        for s in snap.compare_to(_last, "lineno")[:20]]
    _last = snap
    return {"top_growth": grew}


COMMANDS = {"figures": figures, "objects": objects, "trim": trim, "python-diff": python_diff}


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        command = self.rfile.readline().decode().strip()
        try:
            answer = COMMANDS[command]()
        except Exception as exc:  # reported to the benchmark, never raised in the agent
            answer = {"error": f"{command}: {type(exc).__name__}: {exc}"}
        self.wfile.write(json.dumps(answer).encode())


def serve(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)
    server = socketserver.UnixStreamServer(path, _Handler)
    threading.Thread(target=server.serve_forever, name="soak-probe", daemon=True).start()


def ask(path: Path, command: str, timeout: float = 120.0) -> dict[str, Any] | None:
    """The benchmark's side: one command, its JSON answer (None when the agent does not answer)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(str(path))
            sock.sendall(command.encode() + b"\n")
            sock.shutdown(socket.SHUT_WR)
            data = b"".join(iter(lambda: sock.recv(65536), b""))
        answer: dict[str, Any] = json.loads(data)
        return answer
    except (OSError, ValueError):
        return None


if __name__ == "__main__":  # pragma: no cover - a quick look at this process
    json.dump(objects(), sys.stdout, indent=1)
