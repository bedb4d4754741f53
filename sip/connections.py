"""How many SIP connections (TCP, TLS) may be alive at once, and the breaker that pauses new ones while
PJSIP's ioqueue keys run short (pjsua2-free: the SIP thread calls it from `Endpoint.onTransportState`).

Why (PJSIP 2.15.1, the pjsua2 wheel as shipped, assertions on): every connection holds a key of the
SIP endpoint's select() ioqueue of 64 (PJ_IOQUEUE_MAX_HANDLES), shared with the UDP transport and the
listeners, and a closed connection's key comes back only 500 ms later (PJ_IOQUEUE_KEY_FREE_DELAY).
`pj_ioqueue_register_sock2` returns PJ_ETOOMANY when the keys in use reach 64, but asserts (aborts)
when the free list is empty because the rest are still closing.

- **The cap.** A connection that carried an INVITE stays alive after the caller closes it until the
  INVITE transaction ends (32 s for a refused one that is never ACKed), so about 50 TCP connections
  each carrying one INVITE, at 20 a second, aborted the process. A connection accepted while `limit`
  are alive is shut down in the state callback that announces it: PJSIP's TCP listener checks for that
  and never reads from it, so nothing holds it and it is destroyed within a poll or two.
- **The breaker.** A shut connection still holds its key for 500 ms after it is destroyed, and PJSIP
  accepts as fast as clients connect (each poll drains the listen queue), so clients that connect and
  close at full speed used up the keys anyway (eight clients, about 65 refusals). The keys still held
  (connections alive, and those destroyed less than `KEY_FREE_DELAY_S` ago) are counted; at
  `HELD_KEYS_LIMIT` the `ListenerGate` stops new connections in the kernel for `COOL_DOWN_S`, then
  opens again. Connections PJSIP accepts meanwhile (those already in the listen queue) are shut.

Outgoing connections (a TCP or TLS account's registrar, a call to a TCP address) have a cap of their
own, `OUTGOING_LIMIT`, and are not shut while the breaker is open (their key is taken already, and
they are ours): 24 idle connections from an attacker used to fill the only cap, and the account's next
registration connection was shut. They count among the keys held all the same.

When the incoming cap is full, connections that never sent a byte in `SILENT_GRACE_S` are shut to make
room (`ListenerGate.shut_silent`); PJSIP would keep them for its 600 s server idle timeout.

A TLS connection holds its key from the TCP accept, but PJSIP reports it only once its handshake is
done, and with no server certificate (none is ever configured) every incoming handshake fails: those
are never seen here. Counting them would take polling (this process's descriptors, or sock_diag, on
the listener's port, plus the 500 ms each key is held after its socket is gone); instead a TLS
listener is to be closed to new connections for good: `ListenerGate.add(port, serves_incoming=False)`.

Left open: a connection that sent something, even garbage, and then went quiet is not shut.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections import deque
from collections.abc import Callable

from earpiece.sip.listener_gate import ListenerGate
from earpiece.sip.repeated_warning import RepeatedWarning

log = logging.getLogger("earpiece.sip.engine")

KEY_FREE_DELAY_S = 0.6  # PJ_IOQUEUE_KEY_FREE_DELAY (500 ms), and a margin
# Of the 64 keys, left for others: the UDP transport and up to three listeners (TCP, TLS, TLS without
# verification) 4; what PJSIP accepts after the gate closes, the listen queue (PJSIP_TCP_TRANSPORT_BACKLOG
# 5, so up to 6 waiting) and up to 5 half-open connections whose handshake ends, 11; outgoing
# connections still connecting (no state callback yet), 6. 64 - 4 - 11 - 6 = 43, rounded down.
HELD_KEYS_LIMIT = 40
COOL_DOWN_S = 1.0  # longer than KEY_FREE_DELAY_S: the keys of the shut connections come back
OUTGOING_LIMIT = 8  # connections this process opened, alive at once
# When the incoming cap is full, connections accepted this long ago that never sent a byte are shut
# (looked for at most once per SWEEP_EVERY_S): PJSIP would keep them 600 s (its server idle timeout).
SILENT_GRACE_S = 5.0
SWEEP_EVERY_S = 1.0


def opened_here(handle: int) -> bool:
    """True for a connection PJSIP opened, False for one it accepted. `handle` points to the
    `pjsip_transport`, whose first field is its name: "tcpc…"/"tlsc…" for a client, "tcps…"/"tlss…"
    for a server (`tcp_create` in sip_transport_tcp.c, `tls_create` in sip_transport_tls.c)."""
    return ctypes.string_at(handle, 4)[3:4] == b"c"


class ConnectionCap:
    """Live connections by transport handle, from their first state change to their destruction, and
    the keys of those destroyed lately."""

    def __init__(
        self,
        limit: int,
        *,
        held_keys_limit: int = HELD_KEYS_LIMIT,
        cool_down_s: float = COOL_DOWN_S,
        outgoing_limit: int = OUTGOING_LIMIT,
        clock: Callable[[], float] = time.monotonic,
        is_outgoing: Callable[[int], bool] = opened_here,
    ) -> None:
        """`limit`: incoming connections alive at once."""
        if not 1 <= limit < held_keys_limit - outgoing_limit:
            raise ValueError(f"the connection limit must be 1 to {held_keys_limit - outgoing_limit - 1}, "
                             f"got {limit}")
        self.limit = limit
        self.outgoing_limit = outgoing_limit
        self.held_keys_limit = held_keys_limit
        self.cool_down_s = cool_down_s
        self._clock = clock
        self._is_outgoing = is_outgoing
        self._alive: set[int] = set()
        self._outgoing: set[int] = set()  # of `_alive`
        self._destroyed: deque[float] = deque()  # when connections were destroyed, oldest first
        self.refused = 0
        self.pauses = 0
        self._gate: ListenerGate | None = None
        self._lock = threading.Lock()  # the breaker's state: the reopening timer runs on its own thread
        self._paused = 0  # the pause in force (its number), 0: none
        self._last_sweep = float("-inf")  # when silent connections were last looked for
        self._pause_warning = RepeatedWarning(log, "SIP connections paused")
        self._shut_warning = RepeatedWarning(log, "SIP silent connections shut")

    def guard(self, gate: ListenerGate) -> None:
        """The listeners to pause when keys run short (`Transports` passes them once it made them)."""
        self._gate = gate

    def connected(self, handle: int) -> bool:
        """A connection came up (an accepted one, before PJSIP reads from it); False: shut it down."""
        if handle in self._alive:
            return True
        paused = self._pause_if_short()
        outgoing = self._is_outgoing(handle)
        if outgoing:
            admitted = len(self._outgoing) < self.outgoing_limit
        else:
            admitted = not paused and (len(self._alive) - len(self._outgoing) < self.limit
                                       or self._made_room())
        self._track(handle, outgoing)  # refused or not, it holds a key until it is destroyed
        if not admitted:
            self.refused += 1
        return admitted

    def changed(self, handle: int) -> None:
        """Disconnected or shutting down: still alive (a transaction may hold it)."""
        if handle not in self._alive:
            self._track(handle, self._is_outgoing(handle))

    def destroyed(self, handle: int) -> None:
        if handle in self._alive:
            self._alive.discard(handle)
            self._outgoing.discard(handle)
            self._destroyed.append(self._clock())

    def _made_room(self) -> bool:
        """The incoming cap is full: shut the connections that stayed silent (True if there were)."""
        now = self._clock()
        if self._gate is None or now - self._last_sweep < SWEEP_EVERY_S:
            return False
        self._last_sweep = now
        shut = self._gate.shut_silent(SILENT_GRACE_S)
        if shut:
            self._shut_warning("SIP connections shut: %d sent nothing in %.0f s", shut, SILENT_GRACE_S)
        return shut > 0

    def _track(self, handle: int, outgoing: bool) -> None:
        self._alive.add(handle)
        if outgoing:
            self._outgoing.add(handle)

    @property
    def alive(self) -> int:
        return len(self._alive)

    @property
    def held_keys(self) -> int:
        """Keys of the SIP ioqueue held by connections: alive, or destroyed less than 600 ms ago."""
        now = self._clock()
        while self._destroyed and now - self._destroyed[0] >= KEY_FREE_DELAY_S:
            self._destroyed.popleft()
        return len(self._alive) + len(self._destroyed)

    @property
    def paused(self) -> bool:
        with self._lock:
            return self._paused != 0

    def _pause_if_short(self) -> bool:
        """True while new connections are paused; pauses them when this one would take the last key
        of the budget."""
        held = self.held_keys + 1
        with self._lock:
            if self._paused:
                return True
            if held < self.held_keys_limit:
                return False
            self.pauses += 1
            self._paused = pause = self.pauses
            if self._gate is not None:
                self._gate.close()
        self._pause_warning("SIP connections paused for %.1f s: %d of PJSIP's ioqueue keys held by "
                            "connections", self.cool_down_s, held)
        timer = threading.Timer(self.cool_down_s, self._resume, args=(pause,))
        timer.daemon = True
        timer.name = "earpiece-sip-resume"
        timer.start()
        return True

    def _resume(self, pause: int) -> None:
        with self._lock:
            if self._paused != pause:
                return
            self._paused = 0
            if self._gate is not None:
                self._gate.open()
