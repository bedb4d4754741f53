"""When each RTP packet crossed the loopback interface: the caller's dumps put on the wall clock.

baresip's sndfile dumps hold one 20 ms frame per RTP packet, in packet order: the `-enc` dump's
frame k is the k-th packet the caller sent, the `-dec` dump's frame k the k-th packet it received
(its jitter buffer delays when a frame is decoded, not where it lands in the dump). Comparing
positions in the two dumps therefore measures "packet sent by the agent -> packet sent by the
caller" only up to the difference between the two streams' first packets. Sniffing the packets
gives each frame its real time, so a turn can be measured on the wire:

    with RtpTrace() as trace:
        ...call...
    sent, heard = trace.flows(udp_ports(pid_started_with(str(peer.dir))))  # a caller's two streams

Needs root (an AF_PACKET socket on `lo`); `RtpTrace.available()` says whether it can run.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import struct
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.background import Background

_ETH_P_ALL = 0x0003
_PACKET_OUTGOING = 4  # loopback delivers each packet twice: as sent and as received
_SO_TIMESTAMPNS = 35
_ETHERNET_HEADER = 14
_G722 = 9


@dataclass(frozen=True, slots=True)
class RtpPacket:
    at: float  # time.monotonic() seconds when the kernel saw the packet on lo
    src_port: int
    dst_port: int
    seq: int
    timestamp: int
    marker: bool
    payload_type: int
    payload: bytes


def parse_rtp(frame: bytes, at: float) -> RtpPacket | None:
    """The RTP packet in one Ethernet frame from `lo`, or None (not IPv4/UDP/RTP version 2)."""
    ip = frame[_ETHERNET_HEADER:]
    if len(frame) < _ETHERNET_HEADER + 20 or frame[12:14] != b"\x08\x00" or ip[9] != socket.IPPROTO_UDP:
        return None
    udp = ip[(ip[0] & 0x0F) * 4:]
    if len(udp) < 8 + 12:
        return None
    src_port, dst_port = struct.unpack_from("!HH", udp)
    rtp = udp[8:]
    if rtp[0] >> 6 != 2 or 72 <= rtp[1] & 0x7F <= 76:  # 200-204 with the marker bit: RTCP
        return None
    header = 12 + 4 * (rtp[0] & 0x0F)
    seq, timestamp = struct.unpack_from("!HI", rtp, 2)
    return RtpPacket(at, src_port, dst_port, seq, timestamp, bool(rtp[1] & 0x80), rtp[1] & 0x7F,
                     bytes(rtp[header:]))


class RtpTrace(Background):
    """Records every RTP packet on the loopback interface while the `with` block runs."""

    def __init__(self) -> None:
        super().__init__()
        self.packets: list[RtpPacket] = []
        self._lock = threading.Lock()
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(_ETH_P_ALL))
        self._sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        self._sock.bind(("lo", _ETH_P_ALL))
        self._realtime_to_monotonic = time.monotonic() - time.time()

    @staticmethod
    def available() -> bool:
        try:
            socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(_ETH_P_ALL)).close()
        except (PermissionError, AttributeError, OSError):
            return False
        return True

    def run(self, stop: threading.Event) -> None:
        try:
            while not stop.is_set():
                if not select.select([self._sock], [], [], 0.1)[0]:
                    continue
                data, ancillary, _, address = self._sock.recvmsg(2048, 64)
                if address[2] == _PACKET_OUTGOING:
                    continue
                at = self._kernel_time(ancillary)
                packet = parse_rtp(data, at)
                if packet is not None:
                    with self._lock:
                        self.packets.append(packet)
        finally:
            self._sock.close()

    def _kernel_time(self, ancillary: list[tuple[int, int, bytes]]) -> float:
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS:
                seconds, nanoseconds = struct.unpack("qq", data[:16])
                return seconds + nanoseconds / 1e9 + self._realtime_to_monotonic
        return time.monotonic()

    def flows(self, ports: set[int], payload_type: int = _G722) -> tuple[list[RtpPacket], list[RtpPacket]]:
        """The packets sent from `ports` and those sent to them (one party's two streams), in order."""
        with self._lock:
            packets = [p for p in self.packets if p.payload_type == payload_type]
        return ([p for p in packets if p.src_port in ports], [p for p in packets if p.dst_port in ports])


def pid_started_with(argument: str) -> int:
    """The process whose command line has `argument` (e.g. a peer's own config folder)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:  # ended meanwhile
                continue
            if argument.encode() in argv:
                return int(entry.name)
    raise LookupError(f"no process runs with {argument}")


def udp_ports(pid: int) -> set[int]:
    """The local UDP ports of a process's sockets (from /proc)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError as exc:  # closed meanwhile
            if exc.errno == errno.ENOENT:
                continue
            raise
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    ports = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports
