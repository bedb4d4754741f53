"""The knowledge base's vocabulary puts the terms that recur across its pages first, so the few
hotwords the recogniser takes are domain names, not one page's jargon."""

from __future__ import annotations

from pathlib import Path

from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.reader import KnowledgeReader
from earpiece.core.knowledge.retriever import KnowledgeRetriever
from earpiece.core.knowledge.vocabulary import extract_vocabulary, recurring_terms
from earpiece.core.stt.whisper import hotwords_from_vocabulary
from tests.knowledge import documents as docs

PAGES = [
    "Metrolink trams run every ten minutes. Buy a Metrolink ticket at any stop in Salford.",
    "Lost property: call Metrolink on the number below. Trams to Salford Quays stop at 23:00.",
    "Our archive is packed with LZMA2 at 4 MiB per block. Unpack LZMA2 with any LZMA2 tool: LZMA2 is "
    "fast, and LZMA2 is free.",
    "Season tickets are valid on every Metrolink line, including the Salford and Bury lines.",
]


def test_terms_on_many_pages_come_before_one_page_jargon() -> None:
    assert recurring_terms(PAGES) == ["Metrolink", "Salford", "LZMA2"]  # LZMA2: most used, one page
    words = extract_vocabulary(PAGES)
    assert words[:3] == ["Metrolink", "Salford", "LZMA2"]
    assert "MiB" in words[3:]  # once: still a distinctive word of the knowledge base, not recurring
    assert hotwords_from_vocabulary(words, max_terms=2) == "Metrolink, Salford"


def test_a_term_needs_a_capital_and_enough_uses() -> None:
    pages = ["See the h2 heading and the X200 model.", "The h2 heading again. The h2 heading once more."]
    assert recurring_terms(pages) == []  # "h2": lower case; "X200": used once
    assert recurring_terms(pages, min_count=1) == ["X200"]


def test_a_page_that_writes_the_name_in_lower_case_elsewhere_does_not_hide_it() -> None:
    pages = ["Ask Zulip support. Zulip Cloud is hosted.", "Visit zulip.com today. Zulip Cloud plans vary."]
    assert recurring_terms(pages)[0] == "Zulip"


def test_each_document_keeps_its_own_words_for_the_answers_layer(
    store: KnowledgeStore, embedder: MiniLmEmbedder, tmp_path: Path,
) -> None:
    """A name on a document's page is found in that document's words even when the passage that
    holds it is not the one retrieved; another document's words do not have it."""
    garden = docs.write_md(tmp_path / "garden.md", "Garden centre", [
        ("Plants", ["Our Larkspur seedlings arrive in April and sell out within two weeks of arrival."]),
        ("Opening", ["The garden centre opens at nine every day except Christmas Day and Boxing Day."]),
    ])
    cafe = docs.write_md(tmp_path / "cafe.md", "Cafe", [
        ("Menu", ["The cafe serves soup, sandwiches and cakes from ten until four on weekdays."]),
    ])
    store.create("kb")
    store.add("kb", [garden, cafe])
    words = store.document_words("kb", str(garden))
    assert {"larkspur", "seedlings", "garden", "centre", "plants"} <= words  # units, headings, title
    assert "the" not in words and "and" not in words
    assert "larkspur" not in store.document_words("kb", str(cafe))
    assert store.document_words("kb", str(tmp_path / "gone.md")) == frozenset()
    retriever = KnowledgeRetriever(store, "kb")
    assert retriever.document_words(str(garden)) == words
    with KnowledgeReader(store.root, embedder=embedder) as reader:
        assert reader.document_words("kb", str(garden)) == words
