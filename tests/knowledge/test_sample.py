"""The bundled sample knowledge base: filled on first run, and a quit during that filling is quick
and loses nothing (the next start fills in the rest)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from earpiece.core.knowledge import KnowledgeStore, Outcome, Progress, ensure_sample_kb, sample_folder
from earpiece.core.knowledge.embedding import MiniLmEmbedder

SAMPLE_FILES = len(list(sample_folder().iterdir()))


def test_a_cancelled_first_fill_stops_within_two_seconds_and_the_next_start_fills_the_rest(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    cancel = threading.Event()
    asked: list[float] = []

    first_file = sorted(sample_folder().iterdir())[0]

    def quit_during_the_second_file(progress: Progress) -> None:
        if progress.current not in (None, str(first_file)) and not cancel.is_set():
            asked.append(time.monotonic())
            cancel.set()

    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:
        partial = ensure_sample_kb(store, quit_during_the_second_file, cancel)
        stopped = time.monotonic()
        assert asked and stopped - asked[0] < 2.0
        assert partial.documents < SAMPLE_FILES  # the files queued for embedding were dropped
    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:  # the next start
        whole = ensure_sample_kb(store)
        assert whole.documents == SAMPLE_FILES
        assert ensure_sample_kb(store) == whole  # filled: nothing more to do
        assert all(d.chunks for d in store.documents("sample"))


def test_a_sample_knowledge_base_dropped_by_the_admin_is_filled_again(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:
        ensure_sample_kb(store)
        store.drop("sample")
        assert ensure_sample_kb(store).documents == SAMPLE_FILES
        report = store.add("sample", [sample_folder()])
        assert {r.outcome for r in report.results} == {Outcome.UNCHANGED}
