"""Callbacks from PJSIP must never let an exception escape (it would pin objects past libDestroy)."""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("earpiece.sip")


def guarded(fn: Callable[P, R]) -> Callable[P, R | None]:
    """Log an exception as text (no exc_info kept anywhere) and return None."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return fn(*args, **kwargs)
        except Exception:
            log.error("error in SIP callback %s:\n%s", fn.__qualname__, traceback.format_exc())
            return None

    return wrapper
