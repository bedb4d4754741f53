"""Human-readable reasons for SIP outcomes (what the user reads in the account list and history)."""

from __future__ import annotations

_REGISTRATION = {
    401: "wrong user name or password",
    403: "the registrar refused this account",
    404: "unknown user at this registrar",
    407: "wrong user name or password (proxy)",
    408: "the registrar did not answer (timeout)",
    423: "registration interval too short for this registrar",
    480: "the registrar is temporarily unavailable",
    500: "the registrar had an internal error",
    502: "bad gateway between here and the registrar",
    503: "the registrar is unavailable or unreachable",
    504: "the registrar's upstream timed out",
}

_CALL_END = {
    200: "normal hang-up",
    404: "number not found",
    408: "no answer (timeout)",
    480: "not available",
    486: "busy",
    487: "cancelled",
    488: "call settings not acceptable (codec or encryption)",
    403: "forbidden",
    500: "server error",
    503: "service unavailable",
    600: "busy everywhere",
    603: "declined",
}


def registration_reason(
    code: int, sip_reason: str, transport_error: str = "", certificate_problem: str = ""
) -> str:
    """E.g. (401, "Unauthorized") -> "wrong user name or password (401 Unauthorized)"."""
    if certificate_problem:
        return (
            f"the registrar's TLS certificate was refused ({certificate_problem}): "
            "check the server's certificate or the trusted CA file"
        )
    if transport_error:
        return f"cannot reach the registrar: {transport_error}"
    if 200 <= code < 300:
        return "registered"
    described = _REGISTRATION.get(code) or ("registration failed" if code else "no response")
    return f"{described} ({code} {sip_reason})".strip() if code else described


def call_end_reason(code: int, sip_reason: str) -> str:
    if code == 0:
        return "connection lost"
    described = _CALL_END.get(code)
    return f"{described} ({code} {sip_reason})" if described else f"ended ({code} {sip_reason})"


def rejected_call_reason(code: int, sip_reason: str, *, srtp_required: bool = False) -> str:
    """Why PJSIP itself refused an incoming call before it could ring (no IncomingCall was offered)."""
    status = f"({code} {sip_reason})".replace(" )", ")")
    if code == 488 and srtp_required:
        return f"the caller offered no encryption (SRTP), which this account requires {status}"
    if code == 486:
        return f"too many simultaneous calls {status}"
    return f"refused before ringing: {call_end_reason(code, sip_reason)}"
