"""Who spoke when: talk time per speaker and the longest silence of a call.

The records keep when each utterance ended (`end_of_speech_at`, the turns' monotonic clock), when
the reply's first audio went out (`voice_to_voice_ms`) and when the reply's text was done or cut
(the transcript's `t`, seconds since the session started). Newer records also keep when the
caller's (or, in copilot, the agent's) speech began (`SPEECH_START`, on the transcript's clock)
and how long it lasted (`SPEECH_DURATION`), which place the utterance exactly. Older ones do not:
there an utterance's start (and a reply's with no voice-to-voice time, such as the greeting) is
estimated from its words at a conversational rate, to about a second per utterance.
`TalkTime.estimated` says whether any speech of the caller or the agent had to be estimated.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from earpiece.core.analytics.records import CallData

SPEECH_START = "speech_start_s"  # turn metrics: first voiced frame, seconds since the session started
SPEECH_DURATION = "speech_ms"  # turn metrics: from the first voiced frame to the end of the last
CALLER_WORDS_PER_S = 2.6  # conversational English, ~155 words a minute
VOICE_WORDS_PER_S = 2.8  # the bundled Piper voice at speaking rate 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    speaker: str
    start: float  # seconds since the session started
    end: float
    measured: bool = True  # False: the start was estimated from the words


@dataclass(frozen=True, slots=True)
class TalkTime:
    seconds: dict[str, float]  # speaker -> seconds of speech
    silence_s: float  # no one speaking
    longest_silence_s: float
    longest_silence_at: float  # where it began (seconds since the session started)
    estimated: bool = False  # some of the caller's (or agent's) speech was estimated from its words

    def shares(self, duration_s: float) -> dict[str, float]:
        total = max(duration_s, 1e-9)
        return {speaker: round(s / total, 3) for speaker, s in self.seconds.items()}


def _words(text: str) -> int:
    return len(text.split())


def session_origin(call: CallData) -> float | None:
    """The monotonic time of the session's t = 0 (events carry both clocks; else the answer time;
    else from caller transcripts: text ready = end of speech + STT)."""
    pairs = [e["at"] - e["t"] for e in call.events if isinstance(e.get("at"), float) and "t" in e]
    if pairs:
        return statistics.median(pairs)
    if call.answered_monotonic is not None:
        return call.answered_monotonic
    heard = {line.turn: line.t for line in call.transcript if line.speaker != "assistant"}
    guesses = [t["end_of_speech_at"] + (t.get("stt_ms") or 0.0) / 1000 - heard[t["turn_id"]]
               for t in call.turns if t.get("end_of_speech_at") and t.get("turn_id") in heard]
    return statistics.median(guesses) if guesses else None


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _measured(turn: dict[str, Any], end: float) -> tuple[float, float] | None:
    """(start, end) of the utterance from the record's speech start and duration; None if it has
    neither. `end` is the end of speech as the turns' clock places it."""
    start = _number(turn.get(SPEECH_START))
    duration_ms = _number(turn.get(SPEECH_DURATION))
    if start is not None:
        return (start, start + duration_ms / 1000) if duration_ms is not None else (start, end)
    return (end - duration_ms / 1000, end) if duration_ms is not None else None


def segments(call: CallData) -> list[Segment]:
    origin = session_origin(call)
    by_turn = {t.get("turn_id"): t for t in call.turns}
    found: list[Segment] = []
    for line in call.transcript:
        turn = by_turn.get(line.turn) if line.turn else None
        if line.speaker == "assistant":
            end = line.t
            start = end - _words(line.text) / VOICE_WORDS_PER_S
            v2v = _number(turn.get("voice_to_voice_ms")) if turn else None
            first_audio = None
            if turn is not None and origin is not None and v2v is not None:
                first_audio = turn["end_of_speech_at"] + v2v / 1000 - origin
                start, end = first_audio, max(end, first_audio + 0.2)
            found.append(Segment("assistant", max(0.0, start), end, first_audio is not None))
            continue
        if turn and origin is not None and turn.get("end_of_speech_at"):
            end = turn["end_of_speech_at"] - origin
        else:
            end = line.t - ((turn or {}).get("stt_ms") or 0.0) / 1000
        measured = _measured(turn, end) if turn else None
        start, end = measured or (end - _words(line.text) / CALLER_WORDS_PER_S, end)
        found.append(Segment(line.speaker, max(0.0, start), end, measured is not None))
    return sorted(found, key=lambda s: s.start)


def talk_time(call: CallData) -> TalkTime:
    spans = segments(call)
    seconds: dict[str, float] = {}
    for span in spans:
        seconds[span.speaker] = round(seconds.get(span.speaker, 0.0) + span.end - span.start, 2)
    silence, longest, longest_at, covered = 0.0, 0.0, 0.0, 0.0
    for span in [*spans, Segment("", call.duration_s, call.duration_s)]:
        gap = span.start - covered
        if gap > 0:
            silence += gap
            if gap > longest:
                longest, longest_at = gap, covered
        covered = max(covered, span.end)
    estimated = any(not span.measured for span in spans if span.speaker != "assistant")
    return TalkTime(seconds, round(silence, 2), round(longest, 2), round(longest_at, 2), estimated)
