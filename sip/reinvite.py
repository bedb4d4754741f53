"""Hold and resume while the call's previous offer is still open.

PJSIP refuses a new re-INVITE while one of the call's INVITE transactions is pending (the hold just
sent, or the re-INVITE that locks the codec after a multi-codec answer): `PJ_EINVALIDOP`. An agent who
presses Resume right after Hold means it, so the command is tried again on the SIP thread until that
transaction is over (a few hundred ms on a LAN), within a bound, and its future completes only then.

A command still waiting when its call ends fails at once with `CallEndedError`, and one still waiting
when the engine stops fails with `EngineNotRunningError`: no caller awaits a future that nothing will
ever complete (the engine's timers are dropped at teardown).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pjsua2 as pj

from earpiece.sip.calls import call_op
from earpiece.sip.errors import CallEndedError, EngineNotRunningError, detached

if TYPE_CHECKING:
    from earpiece.sip.calls import SipCall
    from earpiece.sip.interfaces import Scheduler

# PJ_EINVALIDOP (another INVITE transaction is pending), PJSIP_EPENDINGTX, PJ_EBUSY, PJSIP_EBUSY
OFFER_PENDING_STATUSES = frozenset({70013, 171061, 70011, 171001})
RETRY_EVERY_S = 0.1
RETRY_FOR_S = 8.0  # a re-INVITE on a working line ends well within this; after it the user reads why

Submit = Callable[[Callable[[], None]], "Future[Any]"]
Offer = Callable[["SipCall"], None]


def hold(call: SipCall) -> None:
    call.setHold(call_op())


def resume(call: SipCall) -> None:
    prm = call_op()
    prm.opt.flag = pj.PJSUA_CALL_UNHOLD
    call.reinvite(prm)


@dataclass(eq=False, slots=True)
class _Pending:
    call_id: str
    what: str  # "hold" or "resume", for the error text
    offer: Offer
    give_up_at: float
    done: Future[None] = field(default_factory=Future)
    timer: int | None = None  # the scheduled next attempt


class PendingOffers:
    """Hold and resume commands of the engine's calls until PJSIP takes them (SIP thread, except
    `send`). The engine tells it when a call ends (`call_ended`) and when it stops (`stop`)."""

    def __init__(self, submit: Submit, timers: Scheduler, find_call: Callable[[str], SipCall]) -> None:
        """`submit(fn)` runs `fn` on the SIP thread; `find_call(id)` raises for a call that ended."""
        self._submit = submit
        self._timers = timers
        self._find_call = find_call
        self._pending: set[_Pending] = set()
        self._stopped = False

    def send(self, call_id: str, what: str, offer: Offer) -> Future[None]:
        """Any thread: run `offer(call)` on the SIP thread as soon as PJSIP accepts a new offer.
        The future fails with the last error when it never does within `RETRY_FOR_S`, at once for
        any other error (an unknown call), and as described above when the call ends or the engine
        stops first."""
        pending = _Pending(call_id, what, offer, time.monotonic() + RETRY_FOR_S)

        def start() -> None:
            if self._stopped:  # sent on the SIP thread during teardown (a subscriber seeing a call end)
                self._finish(pending, EngineNotRunningError("the SIP engine is stopping"))
                return
            self._pending.add(pending)
            self._attempt(pending)

        def not_started(submitted: Future[Any]) -> None:
            error = submitted.exception()
            if error is not None and not pending.done.done():
                pending.done.set_exception(error)  # the engine stopped before the first attempt ran

        self._submit(start).add_done_callback(not_started)
        return pending.done

    def call_ended(self, call_id: str) -> None:
        for pending in [p for p in self._pending if p.call_id == call_id]:
            self._finish(pending, CallEndedError(f"call {call_id} ended before its {pending.what} was sent"))

    def stop(self) -> None:
        """Teardown: the engine's timers are about to be dropped; nothing waits from now on."""
        self._stopped = True
        for pending in list(self._pending):
            self._finish(pending, EngineNotRunningError(f"the SIP engine stopped before the {pending.what} "
                                                        f"of call {pending.call_id} was sent"))

    def _attempt(self, pending: _Pending) -> None:
        pending.timer = None
        try:
            pending.offer(self._find_call(pending.call_id))
        except pj.Error as error:
            if error.status in OFFER_PENDING_STATUSES and time.monotonic() < pending.give_up_at:
                pending.timer = self._timers.call_later(RETRY_EVERY_S, lambda: self._attempt(pending))
                return
            self._finish(pending, detached(error))
        except Exception as error:
            self._finish(pending, detached(error))
        else:
            self._finish(pending, None)

    def _finish(self, pending: _Pending, error: BaseException | None) -> None:
        self._pending.discard(pending)
        if pending.timer is not None:
            self._timers.cancel(pending.timer)
            pending.timer = None
        if pending.done.done():
            return
        if error is None:
            pending.done.set_result(None)
        else:
            pending.done.set_exception(error)
