"""Everything analytics say about one call, computed offline from its record."""

from __future__ import annotations

import contextlib
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from earpiece.core.analytics.disposition import Disposition, disposition
from earpiece.core.analytics.intents import IntentClassifier
from earpiece.core.analytics.records import CallData
from earpiece.core.analytics.sentiment import Sentiment, call_sentiment, sentiment
from earpiece.core.analytics.stored_summary import CallSummaries, summary_path
from earpiece.core.analytics.summary import CallSummary
from earpiece.core.analytics.timeline import TalkTime, talk_time
from earpiece.core.analytics.turns import answered, declined, is_question
from earpiece.core.engine.metrics import STAGE_LABELS


@dataclass(frozen=True, slots=True)
class TurnSentiment:
    turn: int
    text: str
    sentiment: Sentiment


@dataclass(frozen=True, slots=True)
class CallAnalysis:
    call: CallData
    summary: CallSummary
    intent: str
    disposition: Disposition
    caller_sentiment: tuple[TurnSentiment, ...]
    sentiment: Sentiment
    talk: TalkTime
    questions: int
    answered: int
    declined: int
    latency_ms: dict[str, float] = field(default_factory=dict)  # "voice_to_voice_p50", "stt_p50", ...

    @property
    def answer_times_ms(self) -> list[float]:
        """Voice-to-voice of the questions that were answered."""
        return [float(t["voice_to_voice_ms"]) for t in self.call.turns
                if answered(t) and isinstance(t.get("voice_to_voice_ms"), int | float)]

    def as_dict(self) -> dict[str, Any]:
        call = self.call
        return {
            "call_id": call.call_id, "source": call.source, "mode": call.mode,
            "started_at": call.started_at.isoformat(), "duration_s": call.duration_s,
            "account_id": call.account_id, "remote_uri": call.remote_uri, "display_name": call.display_name,
            "knowledge_base": call.knowledge_base, "disposition": str(self.disposition),
            "intent": self.intent, "summary": self.summary.text,
            "summary_source": self.summary.source, "wanted": list(self.summary.wanted),
            "told": list(self.summary.told),
            "outcome": self.summary.outcome,
            "sentiment": {"score": self.sentiment.score, "label": self.sentiment.label,
                          "turns": [{"turn": s.turn, "text": s.text, "score": s.sentiment.score,
                                     "label": s.sentiment.label} for s in self.caller_sentiment]},
            "talk_time_s": self.talk.seconds, "talk_share": self.talk.shares(call.duration_s),
            "talk_time_estimated": self.talk.estimated,
            "silence_s": self.talk.silence_s, "longest_silence_s": self.talk.longest_silence_s,
            "questions": self.questions, "answered": self.answered, "declined": self.declined,
            "latency_ms": self.latency_ms,
            "transcript": [asdict(line) for line in call.transcript],
        }


def latency_figures(call: CallData) -> dict[str, float]:
    """Medians (and the voice-to-voice p95) of the latencies the turns recorded."""
    figures: dict[str, float] = {}
    for key, _label in (*STAGE_LABELS, ("voice_to_voice_ms", "voice-to-voice")):
        values = [float(t[key]) for t in call.turns if isinstance(t.get(key), int | float)]
        if values:
            figures[f"{key.removesuffix('_ms')}_p50"] = round(statistics.median(values), 1)
            if key == "voice_to_voice_ms":
                ordered = sorted(values)
                p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
                figures["voice_to_voice_p95"] = round(p95, 1)
    return figures


def _versions(call: CallData) -> tuple[str, int, int]:
    """The record and its stored summary as they are now (the summary may be stored, or written by
    a model, after the record). Raises OSError when the record is gone."""
    summary = summary_path(call.path)
    stored = summary.stat().st_mtime_ns if summary.exists() else 0
    return str(call.path), call.path.stat().st_mtime_ns, stored


class CallAnalyser:
    """Analyses calls; remembers each record's analysis while its file and its stored summary are
    unchanged (records are written once, so a supervisor's refresh only analyses the new calls).
    Summaries come from `summaries`: stored beside the records, made (extractive, or by a model)
    when missing."""

    def __init__(self, intents: IntentClassifier, summaries: CallSummaries | None = None) -> None:
        self.intents = intents
        self.summaries = summaries or CallSummaries()
        self._memo: dict[tuple[str, int, int], CallAnalysis] = {}

    def analyse(self, call: CallData) -> CallAnalysis:
        try:
            found = self._memo.get(_versions(call))
        except OSError:
            return self._analyse(call)
        if found is None:
            found = self._analyse(call)
            with contextlib.suppress(OSError):  # keyed after: the analysis may have stored the summary
                self._memo[_versions(call)] = found
        return found

    def _analyse(self, call: CallData) -> CallAnalysis:
        caller = [line for line in call.transcript if line.speaker == "caller"]
        per_turn = tuple(TurnSentiment(line.turn, line.text, sentiment(line.text)) for line in caller)
        questions = [t for t in call.turns if is_question(t)]
        outcome = disposition(call)
        return CallAnalysis(
            call=call,
            summary=self.summaries.summary(call, outcome),
            intent=self.intents.call_intent([str(t["question"]) for t in questions]),
            disposition=outcome,
            caller_sentiment=per_turn,
            sentiment=call_sentiment([s.sentiment for s in per_turn]),
            talk=talk_time(call),
            questions=len(questions),
            answered=sum(answered(t) for t in questions),
            declined=sum(declined(t) for t in questions),
            latency_ms=latency_figures(call),
        )
