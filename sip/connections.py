"""How many SIP connections (TCP, TLS) may be alive at once (pjsua2-free: the SIP thread calls it from
`Endpoint.onTransportState`).

Why (PJSIP 2.15.1, the pjsua2 wheel as shipped, assertions on): every connection holds a key of the
SIP endpoint's select() ioqueue of 64 (PJ_IOQUEUE_MAX_HANDLES), shared with the UDP transport and the
listeners, and a closed connection's key comes back only 500 ms later. `pj_ioqueue_register_sock2`
returns PJ_ETOOMANY when the keys in use reach 64, but asserts (aborts) when the free list is empty
because the rest are still closing. A connection that carried an INVITE stays alive after the caller
closes it until the INVITE transaction ends (32 s for a refused one that is never ACKed), so about 50
TCP connections each carrying one INVITE, at 20 a second, aborted the process.

A connection accepted while `limit` are alive is shut down in the state callback that announces it:
PJSIP's TCP listener checks for that and never reads from it, so nothing holds it and its key comes
back within a poll or two. Outgoing connections (a TCP or TLS account's registrar) count too, and are
shut down like any other at the limit: only under a flood.
"""

from __future__ import annotations


class ConnectionCap:
    """Live connections by transport handle, from their first state change to their destruction."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._alive: set[int] = set()
        self.refused = 0

    def connected(self, handle: int) -> bool:
        """A connection came up (an accepted one, before PJSIP reads from it); False: shut it down."""
        if handle in self._alive:
            return True
        admitted = len(self._alive) < self.limit
        self._alive.add(handle)  # refused or not, it holds a key until it is destroyed
        if not admitted:
            self.refused += 1
        return admitted

    def changed(self, handle: int) -> None:
        """Disconnected or shutting down: still alive (a transaction may hold it)."""
        self._alive.add(handle)

    def destroyed(self, handle: int) -> None:
        self._alive.discard(handle)

    @property
    def alive(self) -> int:
        return len(self._alive)
