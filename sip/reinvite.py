"""Hold and resume while the call's previous offer is still open.

PJSIP refuses a new re-INVITE while one of the call's INVITE transactions is pending (the hold just
sent, or the re-INVITE that locks the codec after a multi-codec answer): `PJ_EINVALIDOP`. An agent who
presses Resume right after Hold means it, so the command is tried again on the SIP thread until that
transaction is over (a few hundred ms on a LAN), within a bound, and its future completes only then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pjsua2 as pj

from earpiece.sip.errors import detached
from earpiece.sip.interfaces import Scheduler

# PJ_EINVALIDOP (another INVITE transaction is pending), PJSIP_EPENDINGTX, PJ_EBUSY, PJSIP_EBUSY
OFFER_PENDING_STATUSES = frozenset({70013, 171061, 70011, 171001})
RETRY_EVERY_S = 0.1
RETRY_FOR_S = 8.0  # a re-INVITE on a working line ends well within this; after it the user reads why


def when_offer_possible(
    submit: Callable[[Callable[[], None]], Future[Any]], timers: Scheduler, attempt: Callable[[], None]
) -> Future[None]:
    """Run `attempt` (a hold or resume, on the SIP thread) as soon as PJSIP accepts a new offer.
    The future fails with the last error when it never does within `RETRY_FOR_S`, or at once for
    any other error (an unknown call, a call that ended)."""
    done: Future[None] = Future()
    give_up_at = time.monotonic() + RETRY_FOR_S

    def try_now() -> None:
        try:
            attempt()
        except pj.Error as error:
            if error.status in OFFER_PENDING_STATUSES and time.monotonic() < give_up_at:
                timers.call_later(RETRY_EVERY_S, try_now)
                return
            done.set_exception(detached(error))
        except Exception as error:
            done.set_exception(detached(error))
        else:
            done.set_result(None)

    def not_started(submitted: Future[Any]) -> None:
        error = submitted.exception()
        if error is not None and not done.done():
            done.set_exception(error)  # the engine stopped before the attempt ran

    submit(try_now).add_done_callback(not_started)
    return done
