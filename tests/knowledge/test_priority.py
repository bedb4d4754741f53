"""Ingestion yields the CPU to a live call: all of its work runs at a lower priority (nice 10), in
this process (the worker, the threads it starts) and in the parser process, while the thread that
asked for it keeps its own priority."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from earpiece.core.knowledge import KnowledgeStore, Progress
from earpiece.core.knowledge.embedding import BACKGROUND_NICE, MiniLmEmbedder
from earpiece.core.knowledge.parsing import NICE
from tests.knowledge import documents as docs


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


def test_ingestion_runs_at_nice_10_and_the_callers_thread_keeps_its_priority(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    own = _nice()
    expected = max(own, BACKGROUND_NICE)
    folder = tmp_path / "docs"
    docs.write_every_format(folder)
    seen: set[int] = set()
    parser_nice: set[int] = set()
    with KnowledgeStore(tmp_path / "store", embedder=embedder) as store:
        store.create("kb")

        def note(progress: Progress) -> None:  # called on the thread doing the work
            seen.add(_nice())
            process = store._parser._process  # the parser child, once started
            if process is not None and process.poll() is None:
                parser_nice.add(os.getpriority(os.PRIO_PROCESS, process.pid))

        report = store.add("kb", [folder], progress=note)
        assert not report.failed
    assert seen == {expected}
    assert parser_nice == {max(own, NICE)}
    assert _nice() == own
