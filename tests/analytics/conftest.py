"""Analytics fixtures: the labelled records of real calls (tests/data/calls), copied per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from earpiece.core.analytics import CallAnalyser, CallArchive, analyser
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.settings import KnowledgeSettings, Settings
from tests.analytics.labelled_calls import copy_records


@pytest.fixture(autouse=True)
def keep_old_records(monkeypatch: pytest.MonkeyPatch) -> None:
    """The labelled records were made on one day: retention must not delete them as they age."""
    monkeypatch.setenv("EARPIECE_ANALYTICS__RETENTION_DAYS", "0")


@pytest.fixture
def records(tmp_path: Path) -> Path:
    return copy_records(tmp_path / "calls")


@pytest.fixture
def archive(records: Path, tmp_path: Path) -> CallArchive:
    return CallArchive(records, tmp_path / "call_history.jsonl")


@pytest.fixture(scope="session")
def embedder() -> MiniLmEmbedder:
    return MiniLmEmbedder.from_settings(KnowledgeSettings())


@pytest.fixture(scope="session")
def call_analyser() -> CallAnalyser:
    return analyser(Settings())
