"""Stale calls do not hold the line: a call answered but never ACKed, or whose incoming RTP stopped,
is hung up and its slot (one of the wheel's 4) freed. Runs on the SIP thread from the engine's timers.

Without it PJSIP keeps an unacknowledged 200 OK for 64*T1 = 32 s (then ~37 s until the slot is
free), and a call whose far end vanished without a BYE forever.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.events import CallDirection, CallState, MediaStatus

if TYPE_CHECKING:
    from earpiece.sip.calls import SipCall
    from earpiece.sip.interfaces import CallRegistry, Scheduler

log = logging.getLogger(__name__)

CHECK_INTERVAL_S = 0.5


@dataclass(slots=True)
class _Seen:
    connecting_since: float | None = None
    rx_packets: int = -1
    rx_changed_at: float = 0.0


class StaleCallWatchdog:
    def __init__(
        self,
        timers: Scheduler,
        calls: CallRegistry,
        ack_timeout_s: float | None,
        media_timeout_s: float | None,
    ) -> None:
        self.timers = timers
        self.calls = calls
        self.ack_timeout_s = ack_timeout_s
        self.media_timeout_s = media_timeout_s
        self._seen: dict[str, _Seen] = {}

    def start(self) -> None:
        if self.ack_timeout_s is not None or self.media_timeout_s is not None:
            self.timers.call_later(CHECK_INTERVAL_S, self._tick)

    def _tick(self) -> None:
        try:
            now = time.monotonic()
            calls = {c.call_id: c for c in self.calls.live()}
            for call_id in self._seen.keys() - calls.keys():
                del self._seen[call_id]
            for call_id, call in calls.items():
                seen = self._seen.setdefault(call_id, _Seen(rx_changed_at=now))
                why = self._stale(call, seen, now)
                if why:
                    log.warning("call %s is stale (%s): hanging up", call_id, why)
                    call.end_as_stale(why)
        finally:
            self.timers.call_later(CHECK_INTERVAL_S, self._tick)

    def _stale(self, call: SipCall, seen: _Seen, now: float) -> str:
        if call.state is CallState.CONNECTING and call.direction is CallDirection.INBOUND:
            seen.connecting_since = seen.connecting_since or now
            if self.ack_timeout_s is not None and now - seen.connecting_since >= self.ack_timeout_s:
                return f"answered but no ACK within {self.ack_timeout_s:g} s"
            return ""
        if call.state is not CallState.CONFIRMED or self.media_timeout_s is None:
            return ""
        if call.media_status is not MediaStatus.ACTIVE:  # on hold (either side) the far end may be quiet
            seen.rx_changed_at = now
            return ""
        packets = _rx_packets(call)
        if packets != seen.rx_packets:
            seen.rx_packets, seen.rx_changed_at = packets, now
        elif now - seen.rx_changed_at >= self.media_timeout_s:
            return f"no audio received for {self.media_timeout_s:g} s"
        return ""


def _rx_packets(call: Any) -> int:
    """RTP packets received on the call's audio streams so far (-1: no stream right now)."""
    total, found = 0, False
    ci = call.getInfo()
    for mi in ci.media:
        if mi.type != pj.PJMEDIA_TYPE_AUDIO or mi.status != pj.PJSUA_CALL_MEDIA_ACTIVE:
            continue
        try:
            stat = call.getStreamStat(mi.index)
        except pj.Error:
            continue
        total += int(stat.rtcp.rxStat.pkt)
        found = True
    return total if found else -1
