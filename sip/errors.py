"""The SIP engine's exceptions, and copies of errors that are safe to hand to other threads."""

from __future__ import annotations

from typing import Any

import pjsua2 as pj


class SipError(Exception):
    """A SIP operation failed; the message is PJSIP's explanation."""


class EngineNotRunningError(SipError):
    pass


class UnknownCallError(SipError, KeyError):
    pass


class CallEndedError(UnknownCallError):
    """The call ended while a command for it was still waiting to be sent (a hold or resume)."""


def detached(error: BaseException) -> BaseException:
    """A copy of `error` without traceback: a traceback kept by a caller would pin pjsua2 objects."""
    if isinstance(error, pj.Error):
        return SipError(pj_text(error))
    try:
        copy = type(error)(*error.args)
    except Exception:
        copy = SipError(str(error))
    return copy


def pj_text(error: Any) -> str:
    """`str(pj.Error)` is empty: PJSIP's explanation of the error."""
    try:
        return str(error.info()) or f"{error.reason} (status {error.status})"
    except Exception:
        return "PJSIP error"
