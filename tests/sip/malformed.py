"""PROTOS-c07-like malformed INVITEs, written for this project: each header of a direct INVITE, and
each part of it, replaced by hostile values (overflows around PJSIP's 4000-byte receive buffer, format
strings, odd integers, NUL and non-UTF-8 bytes, injected line breaks), Content-Length mismatches,
SDP lines broken the same way, multipart bodies, repeated and missing headers, and truncations."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator

from tests.peers.process import LOOPBACK, free_port

VALUES: dict[str, str] = {
    "empty": "",
    "format": "%s%s%s%s%n%n%n%n",
    "nul": "a\x00b\x00",
    "non-utf8": "\udcff\udcfe\udc80\udcc0",  # raw bytes, written with surrogateescape
    "crlf": "x\r\nX-Injected: 1",
    "negative": "-1",
    "u32+1": "4294967296",
    "digits": "9" * 200,
    "lt": "<<<<",
    "quote": '"""',
    "3000": "a" * 3000,
    "3990": "a" * 3990,
    "4100": "a" * 4100,
    "16500": "a" * 16500,
}
SDP = (("v", "0"), ("o", "x 1 1 IN IP4 127.0.0.1"), ("s", "-"), ("c", "IN IP4 127.0.0.1"), ("t", "0 0"),
       ("m", "audio 40000 RTP/AVP 0 8 101"), ("a", "rtpmap:101 telephone-event/8000"), ("a", "sendrecv"))
Shape = Callable[[str], str]


class Invite:
    """A well-formed direct INVITE to `user@host:port` from `me`, to be broken one part at a time."""

    def __init__(self, target: tuple[str, int], me: tuple[str, int], n: int, user: str = "alice") -> None:
        (host, port), (mine, my_port) = target, me
        self.request_line = f"INVITE sip:{user}@{host}:{port} SIP/2.0"
        self.headers = [
            ("Via", f"SIP/2.0/UDP {mine}:{my_port};branch=z9hG4bK-m{n};rport"),
            ("Max-Forwards", "70"),
            ("From", f'"Mallory" <sip:mallory@{mine}:{my_port}>;tag=m{n}'),
            ("To", f"<sip:{user}@{host}:{port}>"),
            ("Call-ID", f"malformed-{n}@{mine}"),
            ("CSeq", "1 INVITE"),
            ("Contact", f"<sip:mallory@{mine}:{my_port}>"),
            ("Content-Type", "application/sdp"),
        ]
        self.sdp = list(SDP)
        self.body: str | None = None
        self.content_length: str | None = None  # None: the body's length

    def set(self, name: str, value: str) -> Invite:
        self.headers = [(k, value if k == name else v) for k, v in self.headers]
        return self

    def encode(self) -> bytes:
        body = self.body if self.body is not None else "".join(f"{k}={v}\r\n" for k, v in self.sdp)
        raw_body = body.encode("utf-8", "surrogateescape")
        length = self.content_length if self.content_length is not None else str(len(raw_body))
        head = self.request_line + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        head += f"Content-Length: {length}\r\n\r\n"
        return head.encode("utf-8", "surrogateescape") + raw_body


def _header_shapes(host: str, port: int, mine: str) -> dict[str, list[Shape]]:
    return {
        "Via": [lambda x: x, lambda x: f"SIP/2.0/UDP {x};branch=z9hG4bK1",
                lambda x: f"SIP/2.0/{x} {mine};branch=z", lambda x: f"SIP/2.0/UDP {mine};branch=z9hG4bK{x}",
                lambda x: f"SIP/2.0/UDP {mine};rport={x};branch=z"],
        "From": [lambda x: x, lambda x: f'"{x}" <sip:m@{mine}>;tag=1', lambda x: f"<sip:{x}@{mine}>;tag=1",
                 lambda x: f"<sip:m@{x}>;tag=1", lambda x: f"<sip:m@{mine}>;tag={x}"],
        "To": [lambda x: x, lambda x: f'"{x}" <sip:alice@{host}:{port}>',
               lambda x: f"<sip:{x}@{host}:{port}>", lambda x: f"<sip:alice@{host}:{x}>"],
        "Call-ID": [lambda x: x, lambda x: f"{x}@{mine}"],
        "CSeq": [lambda x: x, lambda x: f"{x} INVITE", lambda x: f"1 {x}"],
        "Contact": [lambda x: x, lambda x: f'"{x}" <sip:m@{mine}>', lambda x: f"<sip:{x}@{mine}>",
                    lambda x: f"<sip:m@{mine}:{x}>", lambda x: f"<sip:m@{mine}>;expires={x}"],
        "Content-Type": [lambda x: x, lambda x: f"application/{x}", lambda x: f"{x}/sdp",
                         lambda x: f"application/sdp;{x}={x}", lambda x: f"multipart/mixed;boundary={x}"],
        "Max-Forwards": [lambda x: x],
    }


def malformed_invites(
    target: tuple[str, int], me: tuple[str, int], user: str = "alice"
) -> Iterator[tuple[str, bytes]]:
    """(what is broken, the datagram) for every case; `me` is the sender's address (its Via)."""
    counter = iter(range(1_000_000))

    def new() -> Invite:
        return Invite(target, me, next(counter), user)

    for header, shapes in _header_shapes(target[0], target[1], me[0]).items():
        for number, shape in enumerate(shapes):
            for name, value in VALUES.items():
                yield f"{header} shape {number} = {name}", new().set(header, shape(value)).encode()
    for name, value in VALUES.items():
        for part, line in (("method", f"{value} sip:alice@{target[0]} SIP/2.0"),
                           ("Request-URI", f"INVITE sip:{value}@{target[0]} SIP/2.0"),
                           ("version", f"INVITE sip:alice@{target[0]} {value}")):
            invite = new()
            invite.request_line = line
            yield f"request line {part} = {name}", invite.encode()
        invite = new()
        invite.content_length = value
        yield f"Content-Length = {name}", invite.encode()
        for index, (key, _) in enumerate(SDP):
            invite = new()
            invite.sdp[index] = (key, value)
            yield f"SDP line {index} ({key}=) = {name}", invite.encode()
    for name, length in (("larger than the body", "400"), ("smaller than the body", "10")):
        invite = new()
        invite.content_length = length
        yield f"Content-Length {name}", invite.encode()
    for name, lines in {
        "60 media lines": [*SDP[:5], *(("m", f"audio {40000 + 2 * k} RTP/AVP 0") for k in range(60))],
        "200 attributes": [*SDP, *(("a", f"x{k}:{k}") for k in range(200))],
        "128 formats": [*SDP[:5], ("m", "audio 40000 RTP/AVP " + " ".join(map(str, range(128))))],
        "payload types over 127": [*SDP[:5], ("m", "audio 40000 RTP/AVP 128 255 65536")],
        "no media line": list(SDP[:5]),
    }.items():
        invite = new()
        invite.sdp = lines
        yield f"SDP with {name}", invite.encode()
    sdp = "".join(f"{k}={v}\r\n" for k, v in SDP)
    for name, (ctype, body) in {
        "unterminated": ("multipart/mixed;boundary=b", f"--b\r\nContent-Type: application/sdp\r\n\r\n{sdp}"),
        "150 parts": ("multipart/mixed;boundary=b", "--b\r\n\r\nx\r\n" * 150 + "--b--\r\n"),
        "empty boundary": ("multipart/mixed;boundary=", f"--\r\n\r\n{sdp}\r\n----\r\n"),
        "only boundaries": ("multipart/mixed;boundary=b", "--b\r\n--b\r\n--b--"),
    }.items():
        invite = new().set("Content-Type", ctype)
        invite.body = body
        yield f"multipart body {name}", invite.encode()
    for count in (10, 100, 300):
        invite = new()
        vias = [("Via", f"SIP/2.0/UDP 10.0.0.{k % 250}:5060;branch=z9hG4bK{k}") for k in range(count)]
        invite.headers[1:1] = vias
        yield f"{count} more Via lines", invite.encode()
    for header in ("Via", "From", "To", "Call-ID", "CSeq", "Content-Type"):
        invite = new()
        invite.headers = [h for h in invite.headers if h[0] != header]
        yield f"no {header}", invite.encode()
        invite = new()
        invite.headers += [h for h in invite.headers if h[0] == header] * 3
        yield f"{header} four times", invite.encode()
    whole = new().encode()
    yield "LF line ends", whole.replace(b"\r\n", b"\n")
    yield "no blank line before the body", whole.replace(b"\r\n\r\n", b"\r\n", 1)
    for cut in range(1, len(whole), 11):
        yield f"cut at byte {cut}", whole[:cut]


def send_invites_naming_tcp_contacts_that_never_answer(target: tuple[str, int], user: str = "alice") -> int:
    """Over UDP to `target`: 50 direct INVITEs whose Contact is a TCP address that never completes a
    connection, then 30 naming a closed TCP port (the abort they caused: tests/sip/test_flood.py).
    Returns how many were sent."""
    with socket.socket() as silent, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        silent.bind(("0.0.0.0", 0))
        silent.listen(0)  # never accepted: once its queue is full, connections to it hang unanswered
        sender.bind((LOOPBACK, 0))
        never = [f"sip:x@127.0.0.{n + 2}:{silent.getsockname()[1]};transport=tcp" for n in range(50)]
        closed = [f"sip:x@{LOOPBACK}:{free_port(udp=False)};transport=tcp" for _ in range(30)]
        for n, contact in enumerate(never + closed):
            invite = Invite(target, sender.getsockname(), n, user).set("Contact", f"<{contact}>")
            sender.sendto(invite.encode(), target)
            time.sleep(0.05 if n < len(never) else 0.02)
    return len(never) + len(closed)
