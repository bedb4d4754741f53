"""After the call: per-call summaries, intents, sentiment, dispositions, talk time and latencies;
knowledge gaps across calls; the supervisor's figures; export and retention. Offline and Qt-free,
reading the records of the desktop and of `earpiece agent` alike."""

from __future__ import annotations

from earpiece.core.analytics.analysis import CallAnalyser, CallAnalysis
from earpiece.core.analytics.dashboard import Dashboard, dashboard
from earpiece.core.analytics.disposition import Disposition
from earpiece.core.analytics.gaps import GapGroup, GapQuestion, gap_questions, group_gaps, knowledge_gaps
from earpiece.core.analytics.intents import IntentClassifier
from earpiece.core.analytics.records import CallArchive, CallData, CallNotFoundError
from earpiece.core.analytics.retention import apply_retention
from earpiece.core.analytics.stored_summary import (
    CallSummaries,
    store_summary_after_call,
    summary_of,
)
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import Settings


def analyser(settings: Settings, *, model_summaries: bool = False) -> CallAnalyser:
    """The analyser with the admin's intents and the bundled embedding model. Summaries are read
    from beside the records; a missing one is made extractively, or with `model_summaries` by the
    configured LLM (one request per call that no model has summarised yet), and stored."""
    summariser = None
    if model_summaries:
        from earpiece.core.analytics.llm_summary import llm_summariser

        summariser = llm_summariser(settings)
    embedder = MiniLmEmbedder.from_settings(settings.knowledge)
    return CallAnalyser(IntentClassifier(settings.analytics.intents, embedder), CallSummaries(summariser))


__all__ = [
    "CallAnalyser",
    "CallAnalysis",
    "CallArchive",
    "CallData",
    "CallNotFoundError",
    "CallSummaries",
    "Dashboard",
    "Disposition",
    "GapGroup",
    "GapQuestion",
    "analyser",
    "apply_retention",
    "dashboard",
    "gap_questions",
    "group_gaps",
    "knowledge_gaps",
    "store_summary_after_call",
    "summary_of",
]
