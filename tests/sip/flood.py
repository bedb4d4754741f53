"""A parallel TCP connection flood against a SIP port (tests and the hostile benchmarks share it).

Half of the clients connect and close again at full speed; the other half connect, send a direct INVITE
from a stranger, and close. Each accepted connection costs PJSIP one key of its SIP ioqueue (64), and a
closed one keeps it for 500 ms, so this is what exhausts the keys however few connections are alive.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from tests.peers.process import LOOPBACK
from tests.sip.malformed import Invite

CONNECT_TIMEOUT_S = 0.25  # a connect whose SYN is dropped gives up quickly and tries again
# An INVITE read while its connection is open keeps the connection alive until its transaction ends
# (32 s when the 403 is never ACKed): those fill PJSIP's live connections, the others its closing keys.
INVITE_HOLD_S = 0.03


@dataclass
class FloodResult:
    connected: int = 0
    failed: int = 0  # refused, reset, or no answer within CONNECT_TIMEOUT_S
    seconds: float = 0.0


def flood_connections(
    target: tuple[str, int],
    seconds: float,
    *,
    clients: int = 8,
    user: str = "alice",
    stop: Callable[[], bool] = lambda: False,
) -> FloodResult:
    """Flood `target` for `seconds` (or until `stop()`), from `clients` threads."""
    result = FloodResult()
    lock = threading.Lock()
    numbers = itertools.count()
    deadline = time.monotonic() + seconds

    def client(sends_invites: bool) -> None:
        while time.monotonic() < deadline and not stop():
            ok = _one_connection(target, user, next(numbers) if sends_invites else None)
            with lock:
                if ok:
                    result.connected += 1
                else:
                    result.failed += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(n % 2 == 1,), name=f"flood-{n}", daemon=True)
               for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.seconds = time.monotonic() - started
    return result


def _one_connection(target: tuple[str, int], user: str, invite_number: int | None) -> bool:
    try:
        with socket.create_connection(target, timeout=CONNECT_TIMEOUT_S) as connection:
            if invite_number is not None:
                invite = Invite(target, (LOOPBACK, 9), invite_number, user)
                invite.set("Via", f"SIP/2.0/TCP {LOOPBACK}:9;branch=z9hG4bK-flood{invite_number}")
                connection.sendall(invite.encode())
                time.sleep(INVITE_HOLD_S)
        return True
    except OSError:
        return False
