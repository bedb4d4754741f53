"""Parsing untrusted files in a child process bounded in memory and time.

The readers check every limit they can foresee (`limits.py`), but a parser can still blow up on
what it cannot: deeply nested HTML, a PDF content stream that inflates. So files are parsed in one
persistent child process (started once, ~1 s; a small file then costs a round trip of a few ms)
whose address space is capped with `RLIMIT_AS` at its own size after start-up plus
`max_parse_mb`, and which gets `max_parse_seconds` per file. Breaking either is a
`LimitExceededError` naming the setting; the child is then killed and restarted on the next file.
It runs at a lower CPU priority (nice 10), so a live call's speech recognition keeps its core.

The child is started with `python -c` (not multiprocessing's spawn, which re-imports the parent's
main module) and talks over a pair of pipes with `multiprocessing.connection.Connection`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import resource
import subprocess
import sys
import threading
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from earpiece.core.knowledge import errors
from earpiece.core.knowledge.errors import DocumentError, UnreadableDocumentError
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.readers import ParsedDocument, read_part

log = logging.getLogger(__name__)

NICE = 10
START_TIMEOUT_S = 60.0  # imports on a loaded machine


class ParserProcess:
    """`parse()` runs `readers.read_part` in the child. Thread-safe (one file at a time)."""

    def __init__(self, limits: IngestLimits) -> None:
        self.limits = limits
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()

    def parse(self, path: Path, start: int = 0, heading: str = "") -> ParsedDocument:
        with self._lock:
            conn = self._started()
            conn.send((str(path), self.limits.model_dump(), start, heading))
            if not conn.poll(self.limits.max_parse_seconds):
                self._stop()
                raise self.limits.parse_time_error(path)
            try:
                reply = conn.recv()
            except (EOFError, OSError):
                code = self._stop()
                log.warning("The parser process died reading %s (exit code %s)", path, code)
                raise self.limits.parse_memory_error(path) from None
        kind, *rest = reply
        if kind == "ok":
            document: ParsedDocument = rest[0]
            return document
        if kind == "memory":
            self.close()  # it exits after a MemoryError: its heap may be in any state
            raise self.limits.parse_memory_error(path)
        name, message = rest
        raise getattr(errors, name, UnreadableDocumentError)(message)

    def _started(self) -> Connection:
        if self._process is not None and self._process.poll() is None and self._conn is not None:
            return self._conn
        self._stop()
        to_child_r, to_child_w = os.pipe()
        from_child_r, from_child_w = os.pipe()
        self._process = subprocess.Popen(
            [sys.executable, "-c", f"from {__name__} import _serve; _serve({to_child_r}, {from_child_w}, "
             f"{self.limits.max_parse_mb})"],
            pass_fds=(to_child_r, from_child_w), stdin=subprocess.DEVNULL,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._conn = _Pipes(from_child_r, to_child_w)
        if not self._conn.poll(START_TIMEOUT_S) or self._conn.recv() != "ready":
            self._stop()
            raise UnreadableDocumentError("the parser process did not start")
        return self._conn

    def _stop(self) -> int | None:
        code = None
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                self._process.kill()
            code = self._process.wait()
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        return code

    def close(self) -> None:
        with self._lock:
            self._stop()


class _Pipes(Connection):
    """A `Connection` reading one pipe and writing another (one fd each way)."""

    def __init__(self, read_fd: int, write_fd: int) -> None:
        super().__init__(read_fd, writable=False)
        self._writer = Connection(write_fd, readable=False)

    def send(self, obj: Any) -> None:
        self._writer.send(obj)

    def close(self) -> None:
        self._writer.close()
        super().close()


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def _serve(read_fd: int, write_fd: int, memory_mb: int) -> None:
    """The child: parse what is asked until the parent closes the pipe."""
    logging.getLogger().addHandler(logging.NullHandler())  # pypdf's complaints are collected, not printed
    # Not os.nice(NICE): started from an ingest thread, the child is at that thread's nice 10 already.
    os.setpriority(os.PRIO_PROCESS, 0, max(NICE, os.getpriority(os.PRIO_PROCESS, 0)))
    import docx  # noqa: F401  # the readers' libraries are loaded before the cap is measured
    import lxml.etree  # noqa: F401
    import markdown_it  # noqa: F401
    import pypdf  # noqa: F401

    from earpiece.core.knowledge import docx_reader, html_reader, html_stream  # noqa: F401

    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (_address_space() + memory_mb * 2**20, hard))
    inbox, outbox = Connection(read_fd, writable=False), Connection(write_fd, readable=False)
    outbox.send("ready")
    while True:
        try:
            path, limits, start, heading = inbox.recv()
        except EOFError:
            return
        reply: tuple[Any, ...]
        try:
            reply = ("ok", read_part(Path(path), IngestLimits(**limits), start, heading))
        except MemoryError:
            outbox.send(("memory",))
            return
        except DocumentError as exc:
            reply = ("error", type(exc).__name__, str(exc))
        except Exception as exc:  # a reader library choking on a malformed file
            problem = f"{path}: could not be read ({type(exc).__name__}: {exc})"
            reply = ("error", "UnreadableDocumentError", problem)
        try:
            outbox.send(reply)
        except MemoryError:
            outbox.send(("memory",))
            return

