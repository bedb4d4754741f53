"""Pauses new SIP connections in the kernel, under PJSIP's feet (Linux; pjsua2-free).

Why not close PJSIP's listener (`Endpoint.transportClose`) and create it again (PJSIP 2.15.1)?
`pjsua_transport_close` destroys the TCP/TLS factory and frees its transport slot. A TCP or TLS
account's registration keeps the old factory's pointer in its transport selector, without a reference
(`pjsip_tpselector_add_ref`: "looks like we don't have reference counter for listener"), so once its
connection drops, its REGISTER fails with PJ_ENOTFOUND ("Specified factory for creating transport is
not found") until the account is rebuilt; and the new listener may get another transport id.

Instead, a classic BPF socket filter on the listening socket drops pure SYNs (SYN without ACK): the
kernel answers no new connect while it is attached, the connections already made are untouched (their
packets never carry a pure SYN), and PJSIP's listener, factory and accounts never notice. A client
whose SYN was dropped sends it again after about a second (the kernel's first retransmission), so a
real proxy gets in once the gate opens; an attacker's connect just waits.

A listener that can never serve an incoming connection is closed for good (`add(port,
serves_incoming=False)`): PJSIP's TLS listener has no server certificate here, so every incoming
handshake fails, yet each connection holds a key of the SIP ioqueue from the TCP accept until 500 ms
after PJSIP closes it, and PJSIP reports none of them (it reports a TLS connection only once its
handshake is done), so the breaker never saw them: eight clients connecting to the TLS port and
closing at full speed aborted the process after about 120 connections.

The same descriptors let the cap (sip/connections.py) shut connections that were accepted but never
sent a byte: `shutdown()` on the socket, which PJSIP then reads as the client closing it.

PJSIP does not tell which file descriptor its listener uses, so the gate finds it among this process's
descriptors: the listening stream socket bound to the listener's port. Before each change it checks
again that the descriptor is still that socket (PJSIP closes it at shutdown, and the number may be
reused). Anywhere else (no /proc, no SO_ATTACH_FILTER) the gate is unavailable and `add` says so.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import socket
import struct
import threading
from collections.abc import Iterator

log = logging.getLogger("earpiece.sip.engine")

SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)  # asm-generic values (x86, ARM)
SO_DETACH_FILTER = getattr(socket, "SO_DETACH_FILTER", 27)

# struct tcp_info (linux/tcp.h, append-only): tcpi_state, tcpi_last_data_recv (ms; since the connection
# was made when nothing came yet), tcpi_bytes_received (Linux 4.1+).
_TCP_INFO_LEN, _ESTABLISHED, _LAST_DATA_RECV_AT, _BYTES_RECEIVED_AT = 136, 1, 52, 128

# The filter runs with the packet's TCP header at offset 0. Byte 13 holds the flags: SYN 0x02, ACK 0x10.
_LOAD_BYTE, _AND, _JUMP_IF_EQUAL, _RETURN = 0x30, 0x54, 0x15, 0x06
_DROP_PURE_SYN = (
    (_LOAD_BYTE, 0, 0, 13),  # A = tcp flags
    (_AND, 0, 0, 0x12),  # A &= SYN | ACK
    (_JUMP_IF_EQUAL, 0, 1, 0x02),  # SYN alone: next instruction, else skip it
    (_RETURN, 0, 0, 0),  # drop
    (_RETURN, 0, 0, 0xFFFFFFFF),  # keep the whole packet
)


class ListenerGate:
    """The listening sockets of this process's SIP listeners, closed to new connections or open.
    `close` and `open` may run on any thread (they touch only the kernel, never PJSIP)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._listeners: dict[int, int] = {}  # port -> file descriptor
        self._closed_for_good: set[int] = set()  # ports of listeners that serve no incoming connection
        code = b"".join(struct.pack("HBBI", *instruction) for instruction in _DROP_PURE_SYN)
        self._code = ctypes.create_string_buffer(code, len(code))
        self._program = struct.pack("HP", len(_DROP_PURE_SYN), ctypes.addressof(self._code))
        self.closed = False

    def add(self, port: int, *, serves_incoming: bool = True) -> bool:
        """Guard the listener on TCP `port` too; False when it cannot be found (or not on Linux).
        `serves_incoming=False`: no incoming connection can succeed there (a TLS listener without a
        server certificate), so it is closed to new connections for good."""
        for fd in _socket_descriptors():
            if _is_listener(fd, port):
                with self._lock:
                    self._listeners[port] = fd
                    if not serves_incoming:
                        self._closed_for_good.add(port)
                    if self.closed or not serves_incoming:
                        self._apply(port, fd, SO_ATTACH_FILTER)
                return True
        log.warning("SIP listener on port %d not found: new connections cannot be paused", port)
        return False

    def close(self) -> None:
        """Refuse new connections (their SYNs are dropped) until `open`."""
        with self._lock:
            self.closed = True
            for port, fd in self._listeners.items():
                self._apply(port, fd, SO_ATTACH_FILTER)

    def open(self) -> None:
        with self._lock:
            self.closed = False
            for port, fd in self._listeners.items():
                if port not in self._closed_for_good:
                    self._apply(port, fd, SO_DETACH_FILTER)

    def shut_silent(self, older_than_s: float) -> int:
        """Shut the connections the guarded listeners accepted at least `older_than_s` ago that have
        not sent a byte since; returns how many. SIP thread (PJSIP sees each close on its next poll)."""
        with self._lock:
            ports = set(self._listeners)
        shut = 0
        for fd in _socket_descriptors():
            with contextlib.suppress(OSError), _borrowed(fd) as sock:
                if _silent_since(sock, ports) >= older_than_s:
                    sock.shutdown(socket.SHUT_RDWR)
                    shut += 1
        return shut

    def _apply(self, port: int, fd: int, option: int) -> None:
        if not _is_listener(fd, port):
            return  # PJSIP closed it (the engine stopped); the number may be someone else's now
        try:
            with _borrowed(fd) as listener:
                if option == SO_ATTACH_FILTER:
                    listener.setsockopt(socket.SOL_SOCKET, option, self._program)
                else:
                    listener.setsockopt(socket.SOL_SOCKET, option, 0)
        except OSError as error:
            if option == SO_ATTACH_FILTER or error.errno != 2:  # ENOENT: no filter was attached
                log.warning("SIP listener on port %d: cannot %s new connections (%s)", port,
                            "pause" if option == SO_ATTACH_FILTER else "resume", error)


def _socket_descriptors() -> Iterator[int]:
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return
    for name in names:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/self/fd/{name}").startswith("socket:"):
                yield int(name)


@contextlib.contextmanager
def _borrowed(fd: int) -> Iterator[socket.socket]:
    """A socket object on a duplicate of `fd` (closing it leaves PJSIP's descriptor open)."""
    duplicate = os.dup(fd)
    try:
        sock = socket.socket(fileno=duplicate)
    except OSError:
        os.close(duplicate)
        raise
    with sock:
        yield sock


def _is_listener(fd: int, port: int) -> bool:
    try:
        with _borrowed(fd) as sock:
            return (
                sock.type == socket.SOCK_STREAM
                and sock.family in (socket.AF_INET, socket.AF_INET6)
                and sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) == 1
                and sock.getsockname()[1] == port
            )
    except OSError:
        return False


def _silent_since(sock: socket.socket, ports: set[int]) -> float:
    """Seconds since an accepted connection on one of `ports` was made, if it never sent a byte; else 0."""
    if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
        return 0.0
    if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN) or sock.getsockname()[1] not in ports:
        return 0.0  # a listener, or a connection this process opened (from another port)
    info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, _TCP_INFO_LEN)
    if len(info) < _TCP_INFO_LEN or info[0] != _ESTABLISHED:
        return 0.0
    if struct.unpack_from("Q", info, _BYTES_RECEIVED_AT)[0] != 0:
        return 0.0
    return float(struct.unpack_from("I", info, _LAST_DATA_RECV_AT)[0]) / 1000.0
