"""Which lost connections make TCP accounts register again: only the engine's own (to its registrar,
see test_registration.py for the registrar restarting), never a stranger's."""

from __future__ import annotations

import socket
import time

import pytest

from earpiece.core.settings import Transport
from earpiece.sip.engine import SipEngine
from earpiece.sip.events import RegistrationChanged
from tests.sip.conftest import Register
from tests.sip.helpers import EventLog

pytestmark = pytest.mark.peers


def test_strangers_closing_their_connections_do_not_make_tcp_accounts_register_again(
    engine: SipEngine, registered: Register, events: EventLog
) -> None:
    """Every disconnect used to re-register every TCP/TLS account: a connection flood became a
    REGISTER flood to the registrar."""
    carol = registered("carol", id="carol-tcp", transport=Transport.TCP)
    since = events.mark()
    for _ in range(5):
        with socket.create_connection(engine.local_address(Transport.TCP), timeout=2) as stranger:
            stranger.sendall(b"\r\n\r\n")  # a keep-alive: PJSIP reads it, then the close
    time.sleep(1.0)  # the re-registration, if any, starts 0.2 s after a disconnect
    changes = [e for e in events.of(RegistrationChanged, since) if e.account_id == carol.id]
    assert changes == []
