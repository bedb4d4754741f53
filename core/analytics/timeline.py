"""Who spoke when: talk time per speaker and the longest silence of a call.

The records keep when each caller utterance ended (`end_of_speech_at`, the turns' monotonic
clock), when the reply's first audio went out (`voice_to_voice_ms`) and when the reply's text was
done or cut (the transcript's `t`, seconds since the session started), but not when an utterance
began: a caller's speech (and a reply with no end time) is estimated from its words at a
conversational rate. The figures are therefore estimates to about a second per utterance.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from earpiece.core.analytics.records import CallData

CALLER_WORDS_PER_S = 2.6  # conversational English, ~155 words a minute
VOICE_WORDS_PER_S = 2.8  # the bundled Piper voice at speaking rate 1.0


@dataclass(frozen=True, slots=True)
class Segment:
    speaker: str
    start: float  # seconds since the session started
    end: float


@dataclass(frozen=True, slots=True)
class TalkTime:
    seconds: dict[str, float]  # speaker -> seconds of speech
    silence_s: float  # no one speaking
    longest_silence_s: float
    longest_silence_at: float  # where it began (seconds since the session started)

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


def segments(call: CallData) -> list[Segment]:
    origin = session_origin(call)
    by_turn = {t.get("turn_id"): t for t in call.turns}
    found: list[Segment] = []
    for line in call.transcript:
        turn = by_turn.get(line.turn) if line.turn else None
        if line.speaker == "assistant":
            end = line.t
            start = end - _words(line.text) / VOICE_WORDS_PER_S
            v2v = turn.get("voice_to_voice_ms") if turn else None
            if turn and origin is not None and v2v is not None:
                start = turn["end_of_speech_at"] + v2v / 1000 - origin
                end = max(end, start + 0.2)
            found.append(Segment("assistant", max(0.0, start), end))
        else:
            if turn and origin is not None and turn.get("end_of_speech_at"):
                end = turn["end_of_speech_at"] - origin
            else:
                end = line.t - ((turn or {}).get("stt_ms") or 0.0) / 1000
            found.append(Segment(line.speaker, max(0.0, end - _words(line.text) / CALLER_WORDS_PER_S), end))
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
    return TalkTime(seconds, round(silence, 2), round(longest, 2), round(longest_at, 2))
