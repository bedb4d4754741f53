"""What the user reads instead of the SIP layer's and PortAudio's own words: who ended a call,
and why a sound device did not open."""

from __future__ import annotations

import re

from earpiece.core.calls.record_format import Outcome

# The SIP layer's end reasons (sip/calls.py) as an agent says them.
END_REASONS = {
    "hung up here": "you hung up",
    "hung up by the other party": "the caller hung up",
    "cancelled here": "you cancelled the call",
    "rejected here": "you declined the call",
    "transferred": "transferred",
}
_OUTBOUND_END_REASONS = {"hung up by the other party": "the person you called hung up"}

# A call record's outcome (core/calls/record_format.py) as an agent says it.
OUTCOMES: dict[Outcome, str] = {
    Outcome.CALLER_HUNG_UP: "the caller hung up",
    Outcome.AGENT_HUNG_UP: "Earpiece hung up (after saying goodbye, or a long silence)",
    Outcome.TRANSFERRED: "transferred to a person",
    Outcome.TRANSFER_FAILED: "the caller asked for a person, but the transfer did not go through",
    Outcome.ENDED_AT_SHUTDOWN: "ended when Earpiece was closed",
    Outcome.ENDED_STALE: "ended by the line: no sound from the caller for too long",
    Outcome.LOST_IN_CRASH: "Earpiece stopped unexpectedly during the call",
    Outcome.ERROR: "ended by an error in Earpiece",
    Outcome.AI_UNAVAILABLE: "the AI could not start for this call (speech or knowledge models unavailable)",
}
# Records from before outcomes were kept hold only the AI session's end reason (core/engine/session.py).
_SESSION_END_REASONS = {
    "remote": "the call ended",
    "hangup_requested": OUTCOMES[Outcome.AGENT_HUNG_UP],
    "stopped": "the AI was stopped",
    "shutdown": OUTCOMES[Outcome.ENDED_AT_SHUTDOWN],
    "crash": OUTCOMES[Outcome.LOST_IN_CRASH],
    "error": OUTCOMES[Outcome.ERROR],
}

# PortAudio's messages (sounddevice.PortAudioError, OSError without the library) in plain words.
_DEVICE_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"querying device -1|no default (input|output) device|device unavailable|"
                r"invalid device|invalid number of channels", re.IGNORECASE),
     "no sound device was found (is a headset plugged in?)"),
    (re.compile(r"PortAudio library not found|libportaudio", re.IGNORECASE),
     "sound is not available on this computer (the PortAudio library is missing)"),
    (re.compile(r"device .*busy|unanticipated host error", re.IGNORECASE),
     "the sound device is busy or was unplugged"),
    (re.compile(r"no device matching|not found", re.IGNORECASE),
     "the chosen sound device is not connected"),
)


# pjsua2 errors of call commands (hold, resume, transfer, DTMF) as the user can act on them.
_COMMAND_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"PJ_EINVALIDOP|PJSIP_ESESSIONSTATE|PJSIP_EPENDINGTX", re.IGNORECASE),
     "the call is still busy with a previous change; try again in a moment"),
    (re.compile(r"PJSIP_EINVALIDURI|PJSIP_EINVALIDREQURI|invalid URI", re.IGNORECASE),
     "that is not a valid number or SIP address"),
)


def command_problem_text(raw: str) -> str:
    """Why a call command failed, in plain words; the raw text only when it matches nothing known."""
    for pattern, words in _COMMAND_PROBLEMS:
        if pattern.search(raw):
            return words
    return raw


def clock(seconds: float) -> str:
    """Seconds into a call as the agent reads them: "0:04", "12:31"."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def end_reason_text(reason: str, outbound: bool = False) -> str:
    """Why a call ended, said from the agent's side ("you hung up", "the caller hung up")."""
    if outbound and reason in _OUTBOUND_END_REASONS:
        return _OUTBOUND_END_REASONS[reason]
    return END_REASONS.get(reason, reason)


def outcome_text(outcome: str, session_end_reason: str = "") -> str:
    """How a call ended according to its call record: the outcome, else (an older record) the AI
    session's end reason; the raw text only when it matches nothing known."""
    if outcome:
        known = outcome in Outcome.__members__.values()
        return OUTCOMES[Outcome(outcome)] if known else outcome
    return _SESSION_END_REASONS.get(session_end_reason, session_end_reason)


def device_problem_text(raw: str) -> str:
    """A sound-device error in plain words; the raw text only when it matches nothing known."""
    for pattern, words in _DEVICE_PROBLEMS:
        if pattern.search(raw):
            return words
    return raw
