"""Idle connections from strangers fill the cap of incoming SIP connections: the engine's own
connections (a TCP account's registrar) have a cap of their own and still get through, and strangers
that stay silent are shut to make room for a newcomer."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.admission import AdmissionLimits
from earpiece.sip.connections import SILENT_GRACE_S
from earpiece.sip.engine import SipEngine
from tests.sip.conftest import Register, running_engine, shut

pytestmark = pytest.mark.peers

CAP = 2


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SipEngine]:
    yield from running_engine(tmp_path_factory, {"admission": AdmissionLimits(max_connections=CAP)})


def test_idle_strangers_filling_the_connection_cap_do_not_refuse_our_registration(
    engine: SipEngine, registered: Register
) -> None:
    with ExitStack() as idle:
        for _ in range(CAP):
            idle.enter_context(socket.create_connection(engine.local_address(Transport.TCP), timeout=2))
        with socket.create_connection(engine.local_address(Transport.TCP), timeout=2) as extra:
            assert shut(extra)  # the cap is full: the next stranger is shut at once
        registered("carol", id="carol-tcp", transport=Transport.TCP)  # opens a connection to Kamailio


def test_strangers_silent_since_they_connected_are_shut_to_make_room(engine: SipEngine) -> None:
    """PJSIP keeps a connection that never sends anything for 600 s: two of them held the cap of two
    that long, and every newcomer (a proxy relaying a large INVITE over TCP) was shut."""
    address = engine.local_address(Transport.TCP)
    with ExitStack() as idle:
        silent = [idle.enter_context(socket.create_connection(address, timeout=2)) for _ in range(CAP)]
        time.sleep(SILENT_GRACE_S + 0.5)
        with socket.create_connection(address, timeout=2) as newcomer:
            newcomer.sendall(OPTIONS.encode())
            newcomer.settimeout(5)
            try:
                reply = newcomer.recv(4096)
            except ConnectionResetError:
                reply = b"(reset)"
            assert reply.startswith(b"SIP/2.0 200"), f"the newcomer was shut: {reply!r}"
        assert all(shut(connection) for connection in silent)


OPTIONS = (
    "OPTIONS sip:carol@127.0.0.1 SIP/2.0\r\n"
    "Via: SIP/2.0/TCP 127.0.0.1:9;branch=z9hG4bK-newcomer\r\n"
    "Max-Forwards: 70\r\nFrom: <sip:proxy@127.0.0.1>;tag=1\r\nTo: <sip:carol@127.0.0.1>\r\n"
    "Call-ID: newcomer@127.0.0.1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
)
