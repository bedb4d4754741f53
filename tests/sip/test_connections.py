"""The connection breaker's parts without PJSIP: the listener gate on a real listening socket of this
process, and the cap's key accounting with a fake clock and a recording gate."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from earpiece.sip.connections import KEY_FREE_DELAY_S, ConnectionCap
from earpiece.sip.listener_gate import ListenerGate
from tests.peers.process import LOOPBACK, wait_for


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        sock.listen(5)
        yield sock


def connects(port: int) -> bool:
    try:
        with socket.create_connection((LOOPBACK, port), timeout=0.3):
            return True
    except OSError:
        return False


def test_a_closed_gate_drops_new_connections_and_keeps_the_made_ones(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    gate = ListenerGate()
    assert gate.add(port)
    with socket.create_connection((LOOPBACK, port), timeout=1) as made:
        accepted, _ = listener.accept()
        gate.close()
        assert not connects(port)  # its SYN was dropped: no answer, not even a refusal
        made.sendall(b"still here")
        assert accepted.recv(16) == b"still here"
        accepted.close()
    gate.open()
    assert connects(port)


def test_a_listener_that_serves_no_incoming_connection_stays_closed(listener: socket.socket) -> None:
    """A TLS listener without a server certificate: every connection to it only holds a key."""
    port = listener.getsockname()[1]
    gate = ListenerGate()
    assert gate.add(port, serves_incoming=False)
    assert not connects(port)
    gate.close()
    gate.open()  # the breaker's pause ends: this listener stays closed
    assert not connects(port)


def test_a_gate_finds_no_listener_on_a_port_nobody_listens_on(listener: socket.socket) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as unused:
        unused.bind((LOOPBACK, 0))  # bound, not listening
        assert not ListenerGate().add(unused.getsockname()[1])


class RecordingGate(ListenerGate):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[str] = []
        self.reopened = threading.Event()

    def close(self) -> None:
        self.changes.append("close")

    def open(self) -> None:
        self.changes.append("open")
        self.reopened.set()


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_cap_pauses_new_connections_when_closed_ones_still_hold_their_keys() -> None:
    """Connections that come and go stay under the cap of 4 alive, but each keeps its key 500 ms after
    it is destroyed: the 10th key held closes the gate, every connection until it opens is shut, and
    it opens again after the cool-down."""
    clock, gate = Clock(), RecordingGate()
    cap = ConnectionCap(4, held_keys_limit=10, cool_down_s=0.05, outgoing_limit=2, clock=clock,
                        is_outgoing=lambda handle: handle >= 100)
    cap.guard(gate)
    for handle in range(9):
        assert cap.connected(handle)
        cap.destroyed(handle)
    assert cap.held_keys == 9 and not cap.paused
    assert not cap.connected(9)  # the 10th key: refused, and the gate closes
    assert gate.changes == ["close"] and cap.paused
    clock.now += KEY_FREE_DELAY_S + 0.01  # the keys came back, but the pause lasts its cool-down
    assert not cap.connected(10)
    assert gate.reopened.wait(2) and wait_for(lambda: not cap.paused, 1, 0.01)
    assert gate.changes == ["close", "open"]
    assert cap.connected(11)
    assert cap.refused == 2 and cap.pauses == 1


def test_the_cap_refuses_beyond_its_limit_of_live_connections() -> None:
    cap = ConnectionCap(2, held_keys_limit=10, outgoing_limit=2, clock=Clock(),
                        is_outgoing=lambda handle: handle >= 100)
    assert cap.connected(1) and cap.connected(2)
    assert not cap.connected(3)
    cap.destroyed(1)
    cap.destroyed(3)
    assert cap.connected(4)
    assert cap.alive == 2 and not cap.paused


def test_connections_opened_here_have_their_own_cap_and_are_not_paused() -> None:
    """Idle incoming connections filling the cap used to refuse the account's own registration."""
    clock = Clock()
    cap = ConnectionCap(2, held_keys_limit=6, cool_down_s=5, outgoing_limit=2, clock=clock,
                        is_outgoing=lambda handle: handle >= 100)
    assert cap.connected(1) and cap.connected(2) and not cap.connected(3)  # incoming cap full
    assert cap.connected(100)  # ours
    cap.changed(101)  # ours, failed to connect: it holds a key all the same
    assert not cap.connected(102)  # beyond our own cap
    assert cap.held_keys == 6 and cap.paused  # the 6th key closed the gate
    cap.destroyed(100)
    cap.destroyed(101)
    cap.destroyed(102)
    assert cap.connected(103)  # the gate stays closed to incoming ones only
    assert not cap.connected(4)
