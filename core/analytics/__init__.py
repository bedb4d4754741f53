"""After the call: per-call summaries, intents, sentiment, dispositions, talk time and latencies;
knowledge gaps across calls; the supervisor's figures; export and retention. Offline and Qt-free,
reading the records of the desktop and of `earpiece agent` alike."""

from __future__ import annotations

from earpiece.core.analytics.analysis import CallAnalyser, CallAnalysis
from earpiece.core.analytics.dashboard import Dashboard, dashboard
from earpiece.core.analytics.disposition import Disposition
from earpiece.core.analytics.gaps import GapGroup, GapQuestion, gap_questions, group_gaps
from earpiece.core.analytics.intents import IntentClassifier
from earpiece.core.analytics.records import CallArchive, CallData, CallNotFoundError
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import Settings


def analyser(settings: Settings) -> CallAnalyser:
    """The analyser with the admin's intents and the bundled embedding model."""
    embedder = MiniLmEmbedder.from_settings(settings.knowledge)
    return CallAnalyser(IntentClassifier(settings.analytics.intents, embedder))


__all__ = [
    "CallAnalyser",
    "CallAnalysis",
    "CallArchive",
    "CallData",
    "CallNotFoundError",
    "Dashboard",
    "Disposition",
    "GapGroup",
    "GapQuestion",
    "analyser",
    "dashboard",
    "gap_questions",
    "group_gaps",
]
