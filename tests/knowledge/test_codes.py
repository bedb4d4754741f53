"""Codes a caller names ("error code E4") find their units, which a search by meaning misses:
in the owner's store, a reader beside it, a remote reader through a real Chroma server, and an
answer on the sample knowledge base."""

from __future__ import annotations

from pathlib import Path

import pytest

from earpiece.cli import main
from earpiece.core.engine.answering import Answerer
from earpiece.core.knowledge import (
    KnowledgeReader,
    KnowledgeStore,
    RemoteReader,
    ensure_sample_kb,
    open_reader,
)
from earpiece.core.knowledge.codes import MAX_SOURCES, asked_codes, code_index, codes, joined_codes
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.retriever import KnowledgeRetriever
from earpiece.core.llm.offline import OfflineResponder
from earpiece.core.settings import KnowledgeSettings
from tests.answers.conftest import answer_now
from tests.knowledge import documents as docs
from tests.knowledge.chroma_server import chroma_server

__all__ = ["chroma_server"]  # the fixture

E4 = "What does error code E4 mean?"


def test_codes_are_letters_with_digits_compared_without_case_hyphen_or_plural() -> None:
    said = "Error E4, form SS-5, the 1099-R, two W\u20112s and an MK2"
    assert codes(said) == {"e4", "ss5", "1099r", "w2", "mk2"}
    assert codes("on the 22nd at 5pm, a 24-hr line, a 16-GB card, 3 items for £9.65") == frozenset()


def test_a_recogniser_s_spaced_code_is_joined_in_the_question_only() -> None:
    assert asked_codes("what does error E 4 mean, and form SS 5?") == ["e4", "ss5"]
    assert joined_codes("what does error E 4 mean?") == "what does error E4 mean?"
    assert asked_codes("I have a 4 year old and I need 2 forms") == []
    unchanged = "what should I do about IRS error code 5001?"
    assert joined_codes(unchanged) == unchanged
    assert codes("error E 4") == frozenset()  # a page writes its codes whole


def test_a_code_on_many_pages_identifies_nothing_but_a_heading_s_code_does() -> None:
    pages = [(f"u{i}", f"page{i}.md", f"Send form SS-5 with item {i}.") for i in range(MAX_SOURCES + 1)]
    section = [(f"step{i}", "errors.md", f"Error E4 {i}. Descale the machine.") for i in range(6)]
    index = code_index([*pages, *section])
    assert "ss5" not in index
    assert index["e4"] == tuple(f"step{i}" for i in range(6))


@pytest.mark.models
def test_the_owner_a_reader_and_a_remote_reader_find_the_unit_a_code_names(
    chroma_server: str, tmp_path: Path, embedder: MiniLmEmbedder,
) -> None:
    root = tmp_path / "store"
    with KnowledgeStore(root, embedder=embedder) as store:
        ensure_sample_kb(store)
        min_score = KnowledgeSettings().min_score
        by_meaning = [p for p in store.search("sample", E4, 10).passages if p.score >= min_score]
        assert by_meaning and not any(p.text.startswith("E4 ") for p in by_meaning)  # why codes are looked up
        found = store.coded("sample", E4)
        assert [p.text.split(".")[0] for p in found] == ["E4 means the machine needs descaling"]
        assert 0.0 < found[0].score < min_score  # far in meaning
        assert store.coded("sample", "How much does the Barista One cost?") == []
    with KnowledgeReader(root, embedder=embedder) as reader:
        assert [(p.chunk_id, round(p.score, 4)) for p in reader.coded("sample", E4)] == [
            (p.chunk_id, round(p.score, 4)) for p in found]
    assert main(["kb", "--store", str(root), "publish", "--to", chroma_server]) == 0
    served = KnowledgeSettings(index_url=chroma_server)
    with open_reader("sample", settings=served, embedder=embedder) as agent:
        assert isinstance(agent, RemoteReader)
        assert [(p.chunk_id, p.text, round(p.score, 3)) for p in agent.coded("sample", E4)] == [
            (p.chunk_id, p.text, round(p.score, 3)) for p in found]


@pytest.mark.models
def test_a_code_added_later_is_found_and_the_caller_hears_its_unit(
    store: KnowledgeStore, tmp_path: Path,
) -> None:
    ensure_sample_kb(store)
    settings = KnowledgeSettings()
    answerer = Answerer(OfflineResponder(settings.min_score), KnowledgeRetriever(store, "sample"),
                        top_k=settings.top_k, min_score=settings.min_score)

    def answer(question: str) -> str:
        return answer_now(answerer, question).text

    assert answer(E4) == "E4 means the machine needs descaling."
    codes_page = docs.write_md(tmp_path / "codes.md", "More error codes", [
        ("Display codes", ["F2 means the milk frother is not attached. Push it onto the steam wand."]),
    ])
    store.add("sample", [codes_page])
    assert answer("What does the F 2 code on the display mean?").startswith("F2 means the milk frother")
