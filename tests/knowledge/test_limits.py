"""Limits on everything read (each names its setting), a zip bomb renamed .docx, and partial acceptance:
a CSV with bad rows keeps the good ones and reports the bad ones by line number."""

from __future__ import annotations

import re
import time
import zipfile
from pathlib import Path

import pytest

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge import KnowledgeStore, Outcome
from earpiece.core.knowledge.embedding import MiniLmEmbedder
from earpiece.core.knowledge.errors import LimitExceededError, UnreadableDocumentError
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.parsing import ParserProcess
from earpiece.core.knowledge.readers import read_document
from tests.knowledge import documents as docs


def write_zip_bomb(path: Path, megabytes: int) -> Path:
    """One entry of zeros: a few hundred KB on disk, `megabytes` unpacked."""
    block = b"\0" * (1 << 20)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive, \
            archive.open("word/document.xml", "w", force_zip64=True) as entry:
        for _ in range(megabytes):
            entry.write(block)
    return path


def test_a_zip_bomb_renamed_docx_is_refused_from_its_directory_at_once(tmp_path: Path) -> None:
    bomb = write_zip_bomb(tmp_path / "report.docx", 300)
    assert bomb.stat().st_size < 2_000_000
    started = time.monotonic()
    with pytest.raises(LimitExceededError, match=r"report\.docx: the file unpacks to 315 MB, over the 100 MB "
                                                 r"limit \(knowledge\.limits\.max_unpacked_mb\)"):
        read_document(bomb)
    assert time.monotonic() - started < 1.0  # nothing was inflated


def test_a_docx_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "many.docx"
    with zipfile.ZipFile(path, "w") as archive:
        for i in range(30):
            archive.writestr(f"part{i}.xml", "<x/>")
    with pytest.raises(LimitExceededError, match=r"holds 30 parts, over the limit of 20 "
                                                 r"\(knowledge\.limits\.max_zip_entries\)"):
        read_document(path, IngestLimits(max_zip_entries=20))


def test_file_size_pages_rows_and_characters_each_have_a_limit(tmp_path: Path) -> None:
    text = docs.write_txt(tmp_path / "notes.txt", "Notes", [("Part", ["A sentence of plain text. " * 40])])
    too_big = r"over the 0\.0001 MB limit \(knowledge\.limits\.max_file_mb\)"
    with pytest.raises(LimitExceededError, match=too_big):
        read_document(text, IngestLimits(max_file_mb=0.0001))
    with pytest.raises(LimitExceededError, match=r"over the limit of 500 \(knowledge\.limits\.max_chars\)"):
        read_document(text, IngestLimits(max_chars=500))

    sections = [(f"Part {i}", ["Some text on its own page. " * 200]) for i in range(6)]
    pdf = docs.write_pdf(tmp_path / "long.pdf", "Long", sections)
    with pytest.raises(LimitExceededError, match=r"long\.pdf: the PDF has \d+ pages, over the limit of 3 "
                                                 r"\(knowledge\.limits\.max_pdf_pages\)"):
        read_document(pdf, IngestLimits(max_pdf_pages=3))

    rows = [(f"Question number {i}?", f"Answer number {i}.") for i in range(12)]
    csv_path = docs.write_csv(tmp_path / "faq.csv", rows)
    with pytest.raises(LimitExceededError, match=r"more than 10 rows \(knowledge\.limits\.max_csv_rows\)"):
        read_document(csv_path, IngestLimits(max_csv_rows=10))
    assert len(read_document(csv_path).blocks) == 12  # within the default limits


BAD_ROWS = (
    "question,answer\n"
    "Do you deliver on Sundays?,No. We deliver Monday to Saturday.\n"
    "Is delivery free\n"  # line 3: no answer column
    "Can I pay by PayPal?,\"Yes, and by card.\"\n"
    "\"How do I return an item?,Call us within 30 days.\n"  # line 5: a quote that never closes
    "Do you sell gift cards?,\"Yes, from 10 to 250 pounds.\"\n"
)


def test_a_csv_keeps_its_good_rows_and_names_the_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "faq.csv"
    path.write_text(BAD_ROWS)
    parsed = read_document(path)
    assert [(b.heading, b.kind, b.location) for b in parsed.blocks] == [
        ("Do you deliver on Sundays?", UnitKind.FAQ, "line 2"),
        ("Can I pay by PayPal?", UnitKind.FAQ, "line 4"),
        ("Do you sell gift cards?", UnitKind.FAQ, "line 6"),
    ]
    left_out = [p.split(": ", 1)[1][:20] for p in parsed.problems]
    assert left_out == ["line 3 was left out:", "line 5 was left out:"]


@pytest.mark.models
def test_the_store_reports_limits_and_left_out_rows_per_file_and_carries_on(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    write_zip_bomb(folder / "bomb.docx", 150)
    (folder / "faq.csv").write_text(BAD_ROWS)
    docs.write_md(folder / "ok.md", "Fine", [("Part", ["A perfectly ordinary paragraph about parking."])])
    store.create("drop")
    report = store.add("drop", [folder])
    outcomes = {Path(r.source).name: r.outcome for r in report.results}
    assert outcomes == {"bomb.docx": Outcome.FAILED, "faq.csv": Outcome.ADDED, "ok.md": Outcome.ADDED}
    assert "knowledge.limits.max_unpacked_mb" in report.failed[0].error
    assert [w.split(": ", 1)[1][:7] for w in report.warnings] == ["line 3 ", "line 5 "]
    assert store.search("drop", "can I pay with PayPal", 1).passages[0].heading == "Can I pay by PayPal?"


def test_a_pdf_keeps_its_readable_pages_and_names_the_broken_one(tmp_path: Path) -> None:
    from pypdf import PdfWriter
    from pypdf.generic import NameObject, StreamObject

    sections = [(f"Part {i}", [f"Fact {i}: the depot in town {i} opens at {i + 6} o'clock. " * 100])
                for i in range(3)]
    clean = docs.write_pdf(tmp_path / "clean.pdf", "Depots", sections)
    writer = PdfWriter(clone_from=str(clean))
    garbage = StreamObject()
    garbage.set_data(b"not a deflate stream")
    garbage[NameObject("/Filter")] = NameObject("/FlateDecode")
    writer.pages[1][NameObject("/Contents")] = writer._add_object(garbage)  # page 2's text is corrupt
    broken = tmp_path / "broken-page.pdf"
    writer.write(str(broken))

    assert len(writer.pages) >= 3
    parsed = read_document(broken)
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith(f"{broken}: page 2 could not be read and was left out")
    kept = {b.location for b in parsed.blocks}
    assert "page 2" not in kept and {"page 1", "page 3"} <= kept


def test_a_hostile_html_is_stopped_by_the_parsers_memory_limit_and_the_rest_carry_on(
    store_root: Path, embedder: MiniLmEmbedder, tmp_path: Path,
) -> None:
    """One list of 560,000 items, 5.6 MB (under every size limit; a page is never cut inside a list),
    makes a parse tree of several hundred MB."""
    hostile = tmp_path / "tags.html"
    hostile.write_text("<html><body><ul>" + "<li>a</li>" * 560_000 + "</ul></body></html>")
    good = docs.write_txt(tmp_path / "opening.txt", "Opening hours", [("Hours", ["We open at nine. " * 8])])
    with KnowledgeStore(store_root, embedder=embedder, limits=IngestLimits(max_parse_mb=64)) as store:
        store.create("kb")
        report = store.add("kb", [hostile, good])
        by_name = {Path(r.source).name: r for r in report.results}
        assert by_name["tags.html"].outcome is Outcome.FAILED
        assert re.search(r"tags\.html: reading it needed more than 64 MB of memory, the limit "
                         r"\(knowledge\.limits\.max_parse_mb\)", by_name["tags.html"].error)
        assert by_name["opening.txt"].outcome is Outcome.ADDED  # a new parser process took over


def test_tags_nested_deeper_than_the_html_parser_reads_are_refused_not_dropped(tmp_path: Path) -> None:
    nested = tmp_path / "nested.html"
    nested.write_text("<html><body>" + "<div>" * 2000 + "deep" + "</div>" * 2000 + "</body></html>")
    with pytest.raises(UnreadableDocumentError, match=r"nested\.html: its tags are nested more than 255 "):
        read_document(nested)


def test_a_file_that_takes_too_long_to_parse_is_stopped_by_the_time_limit(tmp_path: Path) -> None:
    listed = tmp_path / "listed.html"
    listed.write_text("<html><body><ul>" + "<li>a</li>" * 300_000 + "</ul></body></html>")
    parser = ParserProcess(IngestLimits(max_parse_seconds=1))
    try:
        too_long = (r"listed\.html: reading it took more than 1 s, the limit "
                    r"\(knowledge\.limits\.max_parse_seconds\)")
        with pytest.raises(LimitExceededError, match=too_long):
            parser.parse(listed)
        small = docs.write_txt(tmp_path / "small.txt", "Small", [("Part", ["A short paragraph. " * 5])])
        assert parser.parse(small).title == "Small"
    finally:
        parser.close()
