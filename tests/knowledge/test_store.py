"""The store against a real Chroma and the real embedding model: ingestion, updates, removal, rebuild."""

from __future__ import annotations

import os
import random
import re
import shutil
import threading
from dataclasses import replace
from pathlib import Path

import pytest
from pypdf import PdfReader

from bench.knowledge.run import WORDS
from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge import (
    DocumentNotFoundError,
    InvalidNameError,
    KnowledgeBaseExistsError,
    KnowledgeBaseNotFoundError,
    KnowledgeStore,
    Outcome,
    Progress,
)
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.readers import PDF_STREAM_PAGES, STREAM_BYTES
from earpiece.core.knowledge.store import collection_name
from tests.knowledge import documents as docs

pytestmark = pytest.mark.models


def index_matches_ledger(store: KnowledgeStore, kb: str) -> bool:
    info = store.info(kb)
    return store.index.ids(info.collection) == {c.chunk_id for c in store.chunks(kb)}


def top_source(store: KnowledgeStore, kb: str, question: str) -> str:
    return Path(store.search(kb, question, 1).passages[0].source).name


def test_every_format_is_ingested_and_searchable(store: KnowledgeStore, tmp_path: Path) -> None:
    paths = docs.write_every_format(tmp_path / "docs")
    store.create("office")
    seen: list[Progress] = []
    report = store.add("office", [tmp_path / "docs"], progress=seen.append)

    assert {Path(r.source).suffix: r.outcome for r in report.results} == dict.fromkeys(paths, Outcome.ADDED)
    for suffix, (_, _, question) in docs.FORMAT_FACTS.items():
        assert top_source(store, "office", question) == f"doc{suffix}", question
    assert top_source(store, "office", docs.CSV_QUESTION) == "doc.csv"
    csv_doc = next(d for d in store.documents("office") if d.kind == "csv")
    assert csv_doc.chunks == 3  # one per row; the duplicate row collapses into one vector
    assert store.info("office").chunks == sum(d.chunks for d in store.documents("office")) - 1
    assert index_matches_ledger(store, "office")

    assert seen[-1] == Progress(6, 6, None, report.chunks_written)
    done = [p.files_done for p in seen]  # files finished (small ones are committed together)
    assert done == sorted(done)
    assert {p.current for p in seen if p.current} == {str(p.resolve()) for p in paths.values()}


def test_passages_carry_source_title_position_and_score(store: KnowledgeStore) -> None:
    from tests.knowledge.conftest import SAMPLE_KB

    store.create("sample")
    store.add("sample", [SAMPLE_KB / "contact-and-opening-hours.html"])
    result = store.search("sample", "are you open on Saturday afternoon", 3)
    best = result.passages[0]
    assert best.source == str(SAMPLE_KB / "contact-and-opening-hours.html")
    assert best.title == "Contact Larkspur Customer Care — Opening hours"
    assert best.text == "Day: Saturday; Hours: 9:00 am to 1:00 pm"  # the row asked about, not the table
    assert (best.heading, best.kind) == ("Opening hours", UnitKind.ROW)
    assert [p.score for p in result.passages] == sorted((p.score for p in result.passages), reverse=True)
    assert all(0.0 <= p.score <= 1.0 for p in result.passages)
    assert result.total_ms >= result.embed_ms + result.query_ms > 0
    chunk = next(c for c in store.chunks("sample") if c.chunk_id == best.chunk_id)
    assert (chunk.heading, chunk.position, chunk.kind) == ("Opening hours", 4, UnitKind.ROW)
    assert store.search("sample", "   ", 3).passages == []


def test_bad_files_fail_one_by_one_and_the_rest_carry_on(store: KnowledgeStore, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    docs.write_every_format(folder)
    docs.write_corrupt_pdf(folder / "broken.pdf")
    docs.write_binary_as_txt(folder / "photo.txt")
    (folder / "notes.xlsx").write_bytes(b"PK\x03\x04")
    (folder / ".hidden.md").write_text("# Hidden\n\nNever ingested.")
    store.create("mixed")
    report = store.add("mixed", [folder, tmp_path / "missing.md"])

    failed = {Path(r.source).name: r.error for r in report.failed}
    assert set(failed) == {"broken.pdf", "photo.txt", "notes.xlsx", "missing.md"}
    assert "not a readable PDF" in failed["broken.pdf"]
    assert "binary file" in failed["photo.txt"]
    assert "unsupported file type '.xlsx'" in failed["notes.xlsx"]
    assert "no such file or folder" in failed["missing.md"]
    assert report.count(Outcome.ADDED) == 6
    assert len(store.documents("mixed")) == 6
    assert index_matches_ledger(store, "mixed")


def test_unchanged_files_are_skipped_and_changed_files_replaced(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    path = docs.write_md(tmp_path / "prices.md", "Prices", [
        ("Coffee", ["A flat white costs 3 pounds 10 at the Harbour kiosk."]),
        ("Tea", ["A pot of Earl Grey costs 2 pounds 40 at the Harbour kiosk."]),
    ])
    store.create("kiosk")
    store.add("kiosk", [path])
    before = {c.chunk_id for c in store.chunks("kiosk")}

    again = store.add("kiosk", [path])
    assert [r.outcome for r in again.results] == [Outcome.UNCHANGED]
    assert again.chunks_written == 0

    docs.write_md(path, "Prices", [
        ("Coffee", ["A flat white costs 3 pounds 10 at the Harbour kiosk."]),
        ("Tea", ["A pot of Earl Grey now costs 2 pounds 95 at the Harbour kiosk."]),
    ])
    changed = store.add("kiosk", [path])
    assert [(r.outcome, r.chunks, r.new_chunks) for r in changed.results] == [(Outcome.UPDATED, 2, 1)]
    texts = " ".join(c.text for c in store.chunks("kiosk"))
    assert "2 pounds 95" in texts and "2 pounds 40" not in texts
    assert len(before - {c.chunk_id for c in store.chunks("kiosk")}) == 1  # only the changed passage went
    assert "2 pounds 95" in store.search("kiosk", "how much is a pot of tea", 1).passages[0].text
    assert index_matches_ledger(store, "kiosk")


def test_duplicate_documents_collapse_and_survive_removal_of_one_copy(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    title, sections, question = docs.FORMAT_FACTS[".pdf"]  # two sections of short paragraphs -> two passages
    first = docs.write_md(tmp_path / "permits.md", title, sections)
    second = docs.write_md(tmp_path / "permits-copy.md", title, sections)
    store.create("dupes")
    report = store.add("dupes", [first, second])
    assert [r.new_chunks for r in report.results] == [2, 0]
    assert store.info("dupes").chunks == 2
    assert len(store.search("dupes", question, 5).passages) == 2  # no passage twice

    store.remove("dupes", str(first))
    assert store.search("dupes", question, 1).passages[0].source == str(second)
    assert index_matches_ledger(store, "dupes")
    store.remove("dupes", "permits-copy.md")  # by unique file name
    assert store.documents("dupes") == []
    assert store.index.count(store.info("dupes").collection) == 0
    with pytest.raises(DocumentNotFoundError, match=r"has no document 'permits\.md'"):
        store.remove("dupes", "permits.md")


def test_knowledge_bases_are_separate_and_named_freely(store: KnowledgeStore, tmp_path: Path) -> None:
    path = docs.write_every_format(tmp_path / "docs")[".txt"]
    names = ["Support FAQ (UK) ✓", "ab", "x" * 64]
    for name in names:
        store.create(name)
    store.add(names[0], [path])
    assert [kb.name for kb in store.knowledge_bases()] == sorted(names)
    assert store.info(names[0]).documents == 1 and store.info("ab").chunks == 0
    assert store.search("ab", "bicycle loan", 3).passages == []
    assert len({collection_name(n) for n in names}) == 3
    with pytest.raises(KnowledgeBaseExistsError):
        store.create("ab")
    for bad in ["", "   ", "x" * 65, "tab\there"]:
        with pytest.raises(InvalidNameError):
            store.create(bad)
    with pytest.raises(KnowledgeBaseNotFoundError, match=r"no knowledge base named 'nope' \(known: "):
        store.search("nope", "anything", 3)

    store.drop(names[0])
    assert collection_name(names[0]) not in store.index.collections()
    with pytest.raises(KnowledgeBaseNotFoundError):
        store.info(names[0])


def test_rebuild_rereads_files_and_keeps_text_of_missing_ones(store: KnowledgeStore, tmp_path: Path) -> None:
    paths = docs.write_every_format(tmp_path / "docs")
    store.create("office")
    store.add("office", [tmp_path / "docs"])
    paths[".txt"].unlink()
    docs.write_html(paths[".html"], "Library Opening", [
        ("Hours", ["The Quayside public library now opens at 6:45 on Thursdays for early readers."]),
    ])
    report = store.rebuild("office")
    gone = [w for w in report.warnings if "is gone" in w]
    assert gone == [f"{paths['.txt']} is gone; kept the text ingested earlier."]
    assert report.count(Outcome.UPDATED) == 1
    assert "6:45" in store.search("office", "Quayside library Thursday opening", 1).passages[0].text
    assert top_source(store, "office", docs.FORMAT_FACTS[".txt"][2]) == "doc.txt"
    assert index_matches_ledger(store, "office")


def test_lost_index_is_rebuilt_from_the_ledger(
    store_root: Path, embedder: MiniLmEmbedder, tmp_path: Path
) -> None:
    docs.write_every_format(tmp_path / "docs")
    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.create("office")
        store.add("office", [tmp_path / "docs"])
        expected = store.info("office").chunks
    shutil.rmtree(store_root / "chroma")
    with KnowledgeStore(store_root, embedder=embedder) as store:
        assert top_source(store, "office", docs.CSV_QUESTION) == "doc.csv"
        assert store.index.count(store.info("office").collection) == expected
        assert any("re-indexed" in note for note in store.recovery_notes)


@pytest.mark.parametrize("owner_was_killed", [True, False], ids=["probed-after-crash", "fails-in-process"])
def test_damaged_index_is_moved_aside_and_rebuilt(
    store_root: Path, embedder: MiniLmEmbedder, tmp_path: Path, owner_was_killed: bool
) -> None:
    docs.write_every_format(tmp_path / "docs")
    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.create("office")
        store.add("office", [tmp_path / "docs"])
    (store_root / "chroma" / "chroma.sqlite3").write_bytes(b"this is not a database" * 100)
    if owner_was_killed:  # the marker a killed owner leaves: the index is probed in a child process
        (store_root / "owner.json").write_text('{"pid": 999999}')
    with KnowledgeStore(store_root, embedder=embedder) as store:
        assert top_source(store, "office", docs.FORMAT_FACTS[".pdf"][2]) == "doc.pdf"
        assert "damaged" in store.recovery_notes[0]
    assert len(list(store_root.glob("chroma.damaged-*"))) == 1


def test_a_store_written_before_answer_units_is_migrated_and_re_read(
    store_root: Path, embedder: MiniLmEmbedder, tmp_path: Path
) -> None:
    import sqlite3

    from earpiece.core.knowledge import KnowledgeError, KnowledgeReader
    from tests.knowledge.conftest import SAMPLE_KB

    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.create("sample")
        store.add("sample", [SAMPLE_KB / "contact-and-opening-hours.html"])
    with sqlite3.connect(store_root / "ledger.sqlite3") as db:  # the schema before answer units
        db.executescript("ALTER TABLE chunks DROP COLUMN kind; ALTER TABLE chunks DROP COLUMN flags; "
                         "DROP TABLE vectors; DROP TABLE meta; PRAGMA user_version = 0;")
    with pytest.raises(KnowledgeError, match="older version of Earpiece"):
        KnowledgeReader(store_root)
    with KnowledgeStore(store_root, embedder=embedder) as store:
        best = store.search("sample", "are you open on Saturday afternoon", 1).passages[0]
        assert (best.kind, best.text) == (UnitKind.ROW, "Day: Saturday; Hours: 9:00 am to 1:00 pm")
        assert any("re-read 1 documents into answer units" in n for n in store.recovery_notes)
        assert index_matches_ledger(store, "sample")
    with KnowledgeReader(store_root, embedder=embedder) as reader:
        found = reader.search("sample", "are you open on Saturday afternoon", 1).passages[0]
        assert found == replace(best, score=found.score)  # the reader's dot product, not Chroma's
        assert found.score == pytest.approx(best.score, abs=1e-5)


STREAM_TEST_MB = float(os.environ.get("EARPIECE_STREAM_TEST_MB", "2"))  # 50 for the real size


def write_big_text(path: Path, megabytes: float) -> list[tuple[str, str]]:
    """A plain-text manual of `megabytes`: six chapters of 20 paragraphs, repeated (so embedding stays
    cheap: a repeated passage is one vector). Returns (heading, text) of each paragraph in order."""
    rng = random.Random(5)
    distinct = [
        f"Item {n} concerns the {rng.choice(WORDS)}: customers are told that case {n} is handled within "
        f"{rng.randint(1, 30)} days by team {rng.randint(1, 99)}, and that the {rng.choice(WORDS)} costs "
        f"{rng.randint(5, 500)} pounds including the {rng.choice(WORDS)}." for n in range(120)
    ]
    expected: list[tuple[str, str]] = []
    with path.open("w") as file:
        chapter = 0
        while file.tell() < megabytes * 1e6:
            heading = f"Chapter {chapter % 6}"
            file.write(f"{heading}\n\n")
            for text in distinct[chapter % 6 * 20 : chapter % 6 * 20 + 20]:
                file.write(f"{text}\n\n")
                expected.append((heading, text))
            chapter += 1
    return expected

def interrupt_after_first_segment(store: KnowledgeStore, kb: str, path: Path) -> list[Progress]:
    """Add `path`, cancelling as soon as its first segment is committed; the progress reported."""
    cancel = threading.Event()
    seen: list[Progress] = []

    def stop_once_a_segment_is_stored(progress: Progress) -> None:
        seen.append(progress)
        if store.documents(kb):
            cancel.set()

    first = store.add(kb, [path], progress=stop_once_a_segment_is_stored, cancel=cancel)
    assert first.cancelled and first.results[0].outcome is Outcome.CANCELLED
    return seen


def resume(store: KnowledgeStore, kb: str, path: Path) -> int:
    """Add `path` again after an interruption; how many passages the resume found stored."""
    again: list[Progress] = []
    second = store.add(kb, [path], progress=again.append)
    assert second.results[0].outcome is Outcome.ADDED, second.results[0].error
    return next(int(m.group(1)) for p in again if (m := re.search(r"(\d+) stored", p.message)))



def test_a_big_text_streams_in_committed_segments_and_resumes_after_an_interruption(
    store: KnowledgeStore, tmp_path: Path,
) -> None:
    big = tmp_path / "manual.txt"
    expected = write_big_text(big, STREAM_TEST_MB)
    assert big.stat().st_size > 4 * STREAM_BYTES
    store.create("big")
    seen = interrupt_after_first_segment(store, "big", big)
    kept = len(store.chunks("big", str(big)))
    assert 0 < kept < len(expected)
    assert any("MB read" in p.message for p in seen if p.current)  # progress before the file is done
    assert index_matches_ledger(store, "big")
    assert store.documents("big")[0].partial
    added_at = store.documents("big")[0].added_at

    assert resume(store, "big", big) == kept  # carried on after what was stored, not from the start
    assert store.documents("big")[0].added_at == added_at
    assert not store.documents("big")[0].partial
    stored = store.chunks("big", str(big))
    assert [(c.heading, c.text) for c in stored] == expected
    assert [c.position for c in stored] == list(range(len(expected)))
    assert index_matches_ledger(store, "big")
    assert store.add("big", [big]).results[0].outcome is Outcome.UNCHANGED
    assert top_source(store, "big", "how long does case 17 take") == "manual.txt"


def test_a_long_pdf_streams_by_pages_and_resumes_after_an_interruption(
    store: KnowledgeStore, tmp_path: Path,
) -> None:
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    facts = [f"Fact {n}: the depot in town {n} opens at {n % 12 + 1} o'clock and keeps {n * 7} crates "
             f"of part {n}, which the courier collects on day {n % 5 + 1} of each week." for n in range(100)]
    pages = 2 * PDF_STREAM_PAGES + 10
    body = getSampleStyleSheet()["BodyText"]
    story = [flowable for page in range(pages)
             for flowable in (*(Paragraph(f, body) for f in facts[page * 2 : page * 2 + 2]), PageBreak())]
    pdf = tmp_path / "depots.pdf"
    SimpleDocTemplate(str(pdf), title="Depot handbook").build(story)
    assert len(PdfReader(str(pdf)).pages) == pages
    store.create("pdf")
    seen = interrupt_after_first_segment(store, "pdf", pdf)
    assert any(f"{PDF_STREAM_PAGES} of {pages} pages read" in p.message for p in seen if p.current)
    kept = store.chunks("pdf", str(pdf))
    assert kept and {c.location for c in kept} <= {f"page {n}" for n in range(1, PDF_STREAM_PAGES + 1)}
    assert store.documents("pdf")[0].partial and index_matches_ledger(store, "pdf")

    assert resume(store, "pdf", pdf) == len(kept)  # carried on after what was stored, not from page 1
    stored = store.chunks("pdf", str(pdf))
    assert stored[: len(kept)] == kept and [c.position for c in stored] == list(range(len(stored)))
    told = {int(n) for c in stored for n in re.findall(r"Fact (\d+):", c.text)}
    assert told == set(range(len(facts)))  # every fact, on every page, once the file is whole
    document = store.documents("pdf")[0]
    assert not document.partial and document.size == pdf.stat().st_size
    assert store.add("pdf", [pdf]).results[0].outcome is Outcome.UNCHANGED
    assert top_source(store, "pdf", "when does the depot in town 371 open") == "depots.pdf"


def test_a_store_embedded_the_old_way_is_embedded_again_from_the_ledger_on_open(
    store_root: Path, embedder: MiniLmEmbedder
) -> None:
    import sqlite3

    import numpy as np

    from earpiece.core.knowledge.chunking import embedding_text
    from earpiece.core.knowledge.ledger import Ledger
    from tests.knowledge.conftest import SAMPLE_KB

    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.create("sample")
        store.add("sample", [SAMPLE_KB / "warranty.txt"])
        rows = store.chunks("sample")
    stale = np.random.default_rng(1).normal(size=(len(rows), 384)).astype(np.float32)
    with sqlite3.connect(store_root / "ledger.sqlite3") as db:  # vectors of another embedder, and no mark
        db.execute("DELETE FROM meta WHERE key = 'embedding_version'")
        db.executemany("UPDATE vectors SET embedding = ? WHERE chunk_id = ?",
                       [(v.tobytes(), r.chunk_id) for v, r in zip(stale, rows, strict=True)])
    with KnowledgeStore(store_root, embedder=embedder) as store:
        assert store.search("sample", "how long is the warranty", 1).passages
        assert any("embedded its" in note for note in store.recovery_notes)
    ledger = Ledger(store_root / "ledger.sqlite3", read_only=True)
    stored = ledger.vectors("sample")
    ledger.close()
    fresh = embedder.embed([embedding_text(r.heading, r.text) for r in rows])
    assert all(float(stored[r.chunk_id] @ v) > 0.99 for r, v in zip(rows, fresh, strict=True))
    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.index  # noqa: B018  # opened: nothing more to do
        assert not store.recovery_notes


# Three pages that say the same thing about different services, in one paragraph without a heading:
# only a page's title tells which service its unit is about.
TITLED_PAGES = {"passports.html": "Passport renewals", "licences.html": "Driving licences",
                "pensions.html": "State pension"}
TITLED_QUESTIONS = {"how do I get my passport renewed?": "passports.html",
                    "who do I ask about my driving licence?": "licences.html",
                    "I have a question about my state pension": "pensions.html"}


def write_titled_pages(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number, (name, title) in enumerate(TITLED_PAGES.items()):
        path = folder / name
        path.write_text(f"<html><head><title>{title}</title></head><body><p>Call 0300 555 010{number} "
                        "between 9 am and 5 pm on weekdays, or write to us and we will reply within "
                        "ten working days.</p></body></html>", encoding="utf-8")
        paths.append(path)
    return paths


def answers_by_title(store: KnowledgeStore) -> dict[str, str]:
    return {question: top_source(store, "titled", question) for question in TITLED_QUESTIONS}


def test_a_unit_without_a_heading_is_found_by_its_pages_title(store: KnowledgeStore, tmp_path: Path) -> None:
    store.create("titled")
    store.add("titled", write_titled_pages(tmp_path / "docs"))
    assert {c.heading for c in store.chunks("titled")} == {""}
    assert answers_by_title(store) == TITLED_QUESTIONS


def test_a_store_embedded_without_page_titles_is_re_read_on_open(
    store_root: Path, embedder: MiniLmEmbedder, tmp_path: Path
) -> None:
    import sqlite3

    from earpiece.core.knowledge.chunking import embedding_text

    with KnowledgeStore(store_root, embedder=embedder) as store:
        store.create("titled")
        store.add("titled", write_titled_pages(tmp_path / "docs"))
        rows = store.chunks("titled")
    untitled = embedder.embed([embedding_text(r.heading, r.text) for r in rows])
    with sqlite3.connect(store_root / "ledger.sqlite3") as db:  # what units version 2 stored
        db.execute("INSERT OR REPLACE INTO meta VALUES ('units_version', 2)")
        db.executemany("UPDATE vectors SET embedding = ? WHERE chunk_id = ?",
                       [(v.tobytes(), r.chunk_id) for v, r in zip(untitled, rows, strict=True)])
    shutil.rmtree(store_root / "chroma")  # else the old index would be kept as it is
    with KnowledgeStore(store_root, embedder=embedder) as store:
        assert answers_by_title(store) == TITLED_QUESTIONS
        assert any("re-read 3 documents into answer units" in n for n in store.recovery_notes)
        assert index_matches_ledger(store, "titled")
