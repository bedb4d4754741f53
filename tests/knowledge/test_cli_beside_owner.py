"""`earpiece ask` and `earpiece kb search`, each a real second process, answer while a first
process owns the store (as the desktop or `earpiece kb add` would), and see what it adds."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.knowledge import documents as docs

pytestmark = pytest.mark.models

OWNER = """
import sys
from pathlib import Path
from earpiece.core.knowledge import KnowledgeStore, ensure_sample_kb
store = KnowledgeStore(Path(sys.argv[1]))
ensure_sample_kb(store)
print("ready", flush=True)
for line in sys.stdin:
    action, _, argument = line.strip().partition(" ")
    if action == "add":
        store.add("sample", [argument])
    print("done", flush=True)
store.close()
"""

QUESTION = "can I drop off a repair at the showroom on a Saturday"


@pytest.fixture
def owner(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    root = tmp_path / "store"
    process = subprocess.Popen([sys.executable, "-c", OWNER, str(root)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "ready"
        yield root, process
    finally:
        process.kill()
        process.wait(timeout=30)


def earpiece(*args: str) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-m", "earpiece", *args], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_ask_and_kb_search_answer_while_another_process_owns_the_store(
    owner: tuple[Path, subprocess.Popen[str]], tmp_path: Path
) -> None:
    root, process = owner
    asked = earpiece("ask", "--store", str(root), "--json", "How many days do I have to return a product?")
    assert "30 days" in str(asked["answer"])

    news = docs.write_md(tmp_path / "news.md", "News", [
        ("Saturday", ["From May the Leicester showroom also opens on Saturdays for repair drop-offs."]),
    ])
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(f"add {news}\n")
    process.stdin.flush()
    assert process.stdout.readline().strip() == "done"

    found = earpiece("kb", "--store", str(root), "search", "--kb", "sample", "--json", "-k", "1", QUESTION)
    passages = found["passages"]
    assert isinstance(passages, list) and "repair drop-offs" in passages[0]["text"]
    asked = earpiece("ask", "--store", str(root), "--json", QUESTION)
    assert any(str(s["source"]).endswith("news.md") for s in asked["sources"])  # type: ignore[attr-defined]
