"""`open_reader` takes the writer's lock only when a reader cannot serve (here: the sample
knowledge base is not there yet), and then waits for another process that holds it (two agents
starting together on a fresh data folder)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from earpiece.core.knowledge import SAMPLE_KB, KnowledgeError, KnowledgeReader, open_reader
from earpiece.core.knowledge.embedding import MiniLmEmbedder

pytestmark = pytest.mark.models

HOLDER = """
import sys, time
from pathlib import Path
from earpiece.core.knowledge import KnowledgeStore
store = KnowledgeStore(Path(sys.argv[1]))
print("holding", flush=True)
time.sleep(float(sys.argv[2]))
store.close()
"""
HOLD_S = 3.0


def test_a_fresh_store_held_by_another_process_is_waited_for_then_seeded(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    root = tmp_path / "store"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(root), str(HOLD_S)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        started = time.monotonic()
        with pytest.raises(KnowledgeError, match="in use by another Earpiece process"):
            open_reader(SAMPLE_KB, root=root, embedder=embedder, writer_wait_s=0.5)
        with open_reader(SAMPLE_KB, root=root, embedder=embedder, writer_wait_s=60) as reader:
            assert isinstance(reader, KnowledgeReader)
            assert time.monotonic() - started >= HOLD_S - 1
            assert reader.search(SAMPLE_KB, "are you open on Saturday", 1).passages
    finally:
        holder.kill()
        holder.wait(timeout=30)

