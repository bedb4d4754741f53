"""Which incoming INVITEs may reach a real account (and so open RTP sockets), decided before PJSIP
allocates anything for them (pjsua2-free: the SIP thread calls it from `Endpoint.onSelectAccount`).

Why it exists (PJSIP 2.15.1, the pjsua2 wheel as shipped, assertions on):
- `pjsua_call_on_incoming` creates a call's media transport, an RTP and an RTCP socket, before the
  application sees the INVITE. The media endpoint has its own select() ioqueue of 64 keys
  (PJ_IOQUEUE_MAX_HANDLES) and a closed socket's key comes back only 500 ms later
  (PJ_IOQUEUE_KEY_FREE_DELAY). When 32 INVITEs arrive within those 500 ms the free list is empty
  and `pj_ioqueue_register_sock2` asserts instead of returning PJ_ETOOMANY: the process aborts.
- INVITEs sent to a real account are therefore counted: at most `media_invites_per_s` in any
  second (each holds two keys for at least 500 ms; the 4 calls of a full line hold 8 more), and
  at most `invite_burst_per_source` per source address, refilled at `invites_per_source_s`.
- The account's own registrar or proxy (its address and port) has no per-source allowance, only the
  shared budget: every call of a registered line arrives from it, so an allowance there would be the
  whole line's, and a flood relayed by the proxy, or sent from the proxy's host, would refuse the real
  callers behind it for burst / rate seconds (2 s) after it ended. Per-caller limits belong in the
  proxy (Kamailio's pike module); the budget alone keeps PJSIP's sockets safe.
- A UDP datagram longer than PJSIP_MAX_PKT_LEN (4000) is cut to 4000 bytes and parsed as a
  shorter, different message (e.g. an INVITE that lost its SDP): it is refused, not interpreted.

Every INVITE that is not admitted goes to the quarantine account, whose calls use a loop media
transport (no sockets) and are refused with the verdict's status code.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from earpiece.core.settings import SipSettings

# PJSIP_MAX_PKT_LEN of the wheel: the receive buffer; a longer datagram arrives cut to this length.
PJSIP_MAX_PKT_LEN = 4000
_DEFAULTS = SipSettings()


@dataclass(frozen=True, slots=True)
class AdmissionLimits:
    # Defaults and meaning: `SipSettings` (the settings carry them to `EngineConfig.from_settings`).
    media_invites_per_s: int = _DEFAULTS.media_invites_per_s  # may open RTP sockets, all sources together
    invite_burst_per_source: int = _DEFAULTS.invite_burst_per_source
    invites_per_source_s: float = _DEFAULTS.invites_per_source_s  # refill rate of one source's burst
    max_message_bytes: int = PJSIP_MAX_PKT_LEN - 1  # at PJSIP_MAX_PKT_LEN the datagram was cut
    max_sources_tracked: int = 4096  # the per-source table forgets the least recently seen beyond this
    # Incoming SIP connections (TCP, TLS) alive at once, of the SIP ioqueue's 64 keys (sip/connections.py):
    # the rest is the UDP transport, the listeners, and room for those closing (500 ms each).
    max_connections: int = 24

    def __post_init__(self) -> None:
        if self.media_invites_per_s < 1 or self.invite_burst_per_source < 1:
            raise ValueError("media_invites_per_s and invite_burst_per_source must be at least 1")
        if self.invites_per_source_s <= 0:
            raise ValueError("invites_per_source_s must be positive")
        # 2 keys per admitted INVITE for ~1 s, 2 per live call (4), out of the media ioqueue's 64.
        if not 1 <= self.max_connections <= 31:
            raise ValueError("max_connections must be 1 to 31 (of the SIP ioqueue's 64 keys, 8 are for "
                             "outgoing connections and new ones pause at 40 held: sip/connections.py)")
        if 2 * self.media_invites_per_s + 8 > 64:
            raise ValueError("media_invites_per_s above 28 can exhaust PJSIP's 64 media sockets")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why an INVITE was quarantined: the status it is answered with and a reason for people."""

    code: int
    sip_reason: str
    reason: str
    account_id: str  # the account it was addressed to ("" if none)
    source: str


class Admission:
    """Decides per INVITE; SIP thread only (no locking)."""

    def __init__(
        self, limits: AdmissionLimits | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits or AdmissionLimits()
        self._clock = clock
        self._admitted: deque[float] = deque()  # when the INVITEs that reached an account arrived
        self._buckets: dict[str, tuple[float, float]] = {}  # source ip -> (tokens, last refill)
        self.refused = 0

    def check(
        self,
        *,
        source: str,
        message_bytes: int,
        account_id: str,
        trusted: bool,
        from_origin: bool = False,
    ) -> Refusal | None:
        """None: let the INVITE reach `account_id`. `trusted`: the account takes direct calls from
        anyone; `from_origin`: it came from the account's registrar or proxy (trusted, and held to the
        shared budget only)."""
        refusal = self._refusal(source, message_bytes, account_id, trusted, from_origin)
        if refusal is None:
            self._admitted.append(self._clock())
        else:
            self.refused += 1
        return refusal

    def _refusal(
        self, source: str, message_bytes: int, account_id: str, trusted: bool, from_origin: bool
    ) -> Refusal | None:
        if message_bytes > self.limits.max_message_bytes:
            return Refusal(513, "Message Too Large", f"message of {message_bytes}+ bytes refused (it may "
                           f"have been cut at PJSIP's {PJSIP_MAX_PKT_LEN}-byte limit)", account_id, source)
        if not account_id:
            return Refusal(404, "Not Found", "no account for this address", account_id, source)
        if not (trusted or from_origin):
            return Refusal(403, "Forbidden", "direct call refused: it did not come through the registrar "
                           "or proxy", account_id, source)
        if not from_origin and not self._source_allows(source):
            return Refusal(503, "Service Unavailable", "too many calls from this address; try later",
                           account_id, source)
        if not self._media_allows():
            return Refusal(503, "Service Unavailable", "too many new calls this second; try later",
                           account_id, source)
        return None

    def _source_allows(self, source: str) -> bool:
        ip = source.rpartition(":")[0].strip("[]") or source
        now = self._clock()
        limits = self.limits
        tokens, last = self._buckets.pop(ip, (float(limits.invite_burst_per_source), now))
        refill = (now - last) * limits.invites_per_source_s
        tokens = min(float(limits.invite_burst_per_source), tokens + refill)
        allowed = tokens >= 1.0
        self._buckets[ip] = (tokens - 1.0 if allowed else tokens, now)  # re-inserted: most recent last
        while len(self._buckets) > limits.max_sources_tracked:
            del self._buckets[next(iter(self._buckets))]
        return allowed

    def _media_allows(self) -> bool:
        now = self._clock()
        while self._admitted and now - self._admitted[0] >= 1.0:
            self._admitted.popleft()
        return len(self._admitted) < self.limits.media_invites_per_s


def request_method(message: str) -> str:
    """The method of a request's start line ("" for a response)."""
    first = message[:64].split(" ", 1)[0]
    return "" if first.startswith("SIP/") else first.upper()

