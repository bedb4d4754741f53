"""Knowledge-test fixtures: one embedding model per session, one fresh store per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.paths import resources_dir
from earpiece.core.settings import KnowledgeSettings

SAMPLE_KB = resources_dir() / "kb" / "sample"


@pytest.fixture(scope="session")
def embedder() -> MiniLmEmbedder:
    return MiniLmEmbedder.from_settings(KnowledgeSettings())


@pytest.fixture
def store_root(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def store(store_root: Path, embedder: MiniLmEmbedder) -> Iterator[KnowledgeStore]:
    with KnowledgeStore(store_root, embedder=embedder) as opened:
        yield opened
