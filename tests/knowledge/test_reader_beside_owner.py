"""Readers never need the writer's lock: while another process owns the store and changes it, a
reader (`earpiece kb search`, a running agent's retriever) searches it and sees each change on
its next question, without a restart."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from earpiece.core.knowledge import KnowledgeError, KnowledgeReader, KnowledgeRetriever
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from tests.knowledge import documents as docs

pytestmark = pytest.mark.models

OWNER = """
import sys
from pathlib import Path
from earpiece.core.knowledge import KnowledgeStore
store = KnowledgeStore(Path(sys.argv[1]))
store.create("live")
for line in sys.stdin:
    action, _, argument = line.strip().partition(" ")
    if action == "add":
        store.add("live", [argument])
    elif action == "remove":
        store.remove("live", argument)
    elif action == "quit":
        break
    print("done", action, flush=True)
store.close()
"""


class Owner:
    """A second process that owns the store and changes it on request."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", OWNER, str(root)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )

    def do(self, command: str) -> None:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()
        assert self.process.stdout.readline().split()[:2] == ["done", command.split()[0]]

    def stop(self) -> None:
        self.process.kill()
        self.process.wait(timeout=30)


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[Owner]:
    running = Owner(tmp_path / "store")
    try:
        running.do("noop")  # the store exists and is owned
        yield running
    finally:
        running.stop()


def write_notes(folder: Path) -> tuple[Path, Path]:
    folder.mkdir()
    parking = docs.write_md(folder / "parking.md", "Parking", [
        ("Permits", ["Parking permits for the Riverside car park cost 180 pounds per quarter."]),
    ])
    bikes = docs.write_md(folder / "bikes.md", "Bicycles", [
        ("Loans", ["Employees can borrow up to 1,000 pounds interest-free to buy a bicycle."]),
    ])
    return parking, bikes


def test_a_running_retriever_follows_the_owner_without_a_restart(
    owner: Owner, tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    parking, bikes = write_notes(tmp_path / "notes")
    owner.do(f"add {parking}")
    with KnowledgeReader(tmp_path / "store", embedder=embedder) as reader:
        retriever = KnowledgeRetriever(reader, "live")

        def best(question: str) -> str:
            found = asyncio.run(retriever.search(question, 1))
            return Path(found[0].source).name if found else ""

        assert best("how much is a parking permit") == "parking.md"
        owner.do(f"add {bikes}")  # committed by the other process while this reader is open
        assert best("how much can I borrow for a bike") == "bikes.md"
        owner.do("remove parking.md")
        assert best("how much is a parking permit") == "bikes.md"  # the only document left
        assert "Riverside" not in retriever.vocabulary()


def test_kb_search_list_and_docs_work_while_another_process_owns_the_store(
    owner: Owner, tmp_path: Path
) -> None:
    parking, _ = write_notes(tmp_path / "notes")
    owner.do(f"add {parking}")
    base = [sys.executable, "-m", "earpiece", "kb", "--store", str(tmp_path / "store")]
    search = subprocess.run([*base, "search", "--kb", "live", "what does a parking permit cost"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert search.returncode == 0, search.stderr
    assert "180 pounds per quarter" in search.stdout
    listing = subprocess.run([*base, "list", "--json"], capture_output=True, text=True, timeout=120,
                             check=False)
    assert listing.returncode == 0, listing.stderr
    assert '"documents": 1' in listing.stdout
    adding = subprocess.run([*base, "add", "--kb", "live", str(parking)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert adding.returncode == 1 and "in use by another Earpiece process" in adding.stderr  # writes wait


def test_a_reader_says_who_can_add_the_sample_knowledge_base(owner: Owner, tmp_path: Path) -> None:
    from earpiece.core.knowledge import ensure_sample_kb

    refused = pytest.raises(KnowledgeError, match="opened for writing")
    with KnowledgeReader(tmp_path / "store") as reader, refused:
        ensure_sample_kb(reader)


AGENT = """
import asyncio, sys
from pathlib import Path
from earpiece.core.knowledge import KnowledgeRetriever, open_reader
reader = open_reader("sample", root=Path(sys.argv[1]))  # seeds the sample KB on a fresh store
retriever = KnowledgeRetriever(reader, "sample")
print("ready", flush=True)
for question in sys.stdin:
    found = asyncio.run(retriever.search(question.strip(), 1))
    print(found[0].text if found else "-", flush=True)
"""


def test_an_answering_process_seeds_the_sample_then_answers_from_what_the_admin_adds_next(
    tmp_path: Path, embedder: MiniLmEmbedder
) -> None:
    from earpiece.core.knowledge import KnowledgeStore, open_reader

    root = tmp_path / "store"
    agent = subprocess.Popen([sys.executable, "-c", AGENT, str(root)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert agent.stdin is not None and agent.stdout is not None
        assert agent.stdout.readline().strip() == "ready"

        def ask(question: str) -> str:
            assert agent.stdin is not None and agent.stdout is not None
            agent.stdin.write(question + "\n")
            agent.stdin.flush()
            return agent.stdout.readline().strip()

        assert ask("are you open on Saturday") == "Day: Saturday; Hours: 9:00 am to 1:00 pm"
        news = docs.write_md(tmp_path / "news.md", "News", [
            ("Saturday", ["From May the Leicester showroom also opens on Saturdays for repair drop-offs."]),
        ])
        with KnowledgeStore(root, embedder=embedder) as admin:  # the agent holds no lock: the admin writes
            admin.add("sample", [news])
        assert "repair drop-offs" in ask("can I drop off a repair at the showroom on a Saturday")
        with KnowledgeStore(root, embedder=embedder) as admin:
            admin.remove("sample", "news.md")
        assert "repair drop-offs" not in ask("can I drop off a repair at the showroom on a Saturday")
    finally:
        agent.kill()
        agent.wait(timeout=30)
    with pytest.raises(KnowledgeError, match="no knowledge base named 'other'"):
        open_reader("other", root=root, embedder=embedder)
