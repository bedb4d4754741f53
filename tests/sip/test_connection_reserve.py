"""Idle connections from strangers fill the cap of incoming SIP connections; the engine's own
connections (a TCP account's registrar) have a cap of their own and still get through."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.admission import AdmissionLimits
from earpiece.sip.engine import SipEngine
from tests.sip.conftest import Register, running_engine

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


def shut(connection: socket.socket) -> bool:
    connection.settimeout(2)
    try:
        return connection.recv(1) == b""
    except ConnectionResetError:
        return True
