"""Markdown, HTML and Word files are streamed in segments: the answer units do not depend on where
the segments are cut, a big file is stored segment by segment with progress, and an interrupted
add resumes where it stopped."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
import pytest

from earpiece.core.knowledge import (
    KnowledgeStore,
    Outcome,
    docx_reader,
    html_stream,
    markdown_reader,
)
from earpiece.core.knowledge.errors import UnreadableDocumentError
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.live_segments import segment_at
from earpiece.core.knowledge.parsed import STREAM_BYTES, ParsedDocument
from earpiece.core.knowledge.readers import read_part
from tests.knowledge import documents as docs
from tests.knowledge.test_store import (
    index_matches_ledger,
    interrupt_after_first_segment,
    resume,
    write_big_text,
)

SECTIONS = 120


# A long stretch without a heading: cut between its paragraphs, never between a list and its lead-in.
_NO_HEADING_HTML = '<div class="notes">' + "".join(
    f"<p>Note {k} on the ferry's timetable, which the harbour office changes twice a year:</p>"
    f"<ul><li>summer timetable {k}</li><li>winter timetable {k}</li></ul>" for k in range(60)
) + "</div>"
_NO_HEADING_MARKDOWN = "".join(
    f"Note {k} on the ferry's timetable, which the harbour office changes twice a year:\n\n"
    f"- summer timetable {k}\n- winter timetable {k}\n\n" for k in range(60)
)


def _rich_html(path: Path) -> Path:
    """Layout wrappers, a stylesheet that hides a class, lists with their lead-in, tables, FAQ markup."""
    sections = "".join(
        f"<section><h2>Crossing {n}</h2>"
        f"<p>Before you book crossing {n}, read how the harbour office handles the island depots {n}:</p>"
        f"<ol><li>Open the booking page for crossing {n}.</li><li>Choose a day for crossing {n}.</li>"
        f"<li>Pay £{n % 40 + 3} at the desk.</li></ol>"
        f"<table><tr><th>Plan</th><th>Price</th></tr><tr><td>Off-peak {n}</td><td>£{n % 30}</td></tr></table>"
        f'<div class="promo">Hidden promotion {n}</div>'
        f"<details><summary>Can I bring a bike on crossing {n}?</summary>Yes, bikes go free on crossing {n}."
        f"</details><p><strong>Is there a café on boat {n}?</strong> Only at weekends on boat {n}.</p>"
        f"{_NO_HEADING_HTML if n % 40 == 20 else ''}</section>"
        for n in range(SECTIONS)
    )
    path.write_text(
        "<!DOCTYPE html><html><head><title>Harbour guide</title>"
        "<style>.promo { display: none }</style></head>"
        '<body><header>Site header</header><nav>Home | Shop</nav><div id="page"><main><article>'
        f"{sections}</article></main></div><footer>Copyright Harbour Ltd</footer></body></html>",
        encoding="utf-8",
    )
    return path


def _rich_markdown(path: Path) -> Path:
    sections = "".join(
        f"## Crossing {n}\n\nBefore you book crossing {n}, read how the harbour office handles depot {n}:\n\n"
        f"1. Open the booking page for crossing {n}.\n2. Choose a day for crossing {n}.\n"
        "3. Pay at the desk.\n\n"
        f"```\nprint({n})\n\n# not a heading {n}: a comment in a code block\n```\n\n"
        f"| Plan | Price |\n|---|---|\n| Off-peak {n} | £{n % 30} |\n\n"
        f"{_NO_HEADING_MARKDOWN if n % 40 == 20 else ''}"
        for n in range(SECTIONS)
    )
    path.write_text(f"---\ntitle: Harbour guide\ndescription: How to book a crossing.\n---\n\n{sections}",
                    encoding="utf-8")
    return path


def _rich_docx(path: Path) -> Path:
    document = docx.Document()
    document.core_properties.title = "Gym handbook"
    for n in range(SECTIONS):
        document.add_heading(f"Site {n}", level=1)
        document.add_paragraph(f"Every membership at site {n} includes the following for its members:")
        document.add_paragraph(f"unlimited spin classes at studio {n}", style="List Bullet")
        bold = document.add_paragraph()
        bold.add_run(f"Is there a pool at site {n}?").bold = True
        bold.add_run(f" No, but the sauna at site {n} is open to every member.")
        table = document.add_table(rows=2, cols=2)
        for row, (plan, price) in zip(table.rows, [("Plan", "Monthly fee"), (f"Off-peak {n}", f"£{n}")],
                                      strict=True):
            row.cells[0].text, row.cells[1].text = plan, price
        for k in range(300 if n % 40 == 20 else 0):
            document.add_paragraph(f"Note {k} on the changing rooms, which the staff clean twice a day:")
            document.add_paragraph(f"towels for member {k}", style="List Bullet")
    document.save(str(path))
    return path


def _segments(path: Path) -> list[ParsedDocument]:
    limits = IngestLimits()
    parts = [read_part(path, limits)]
    while (next_start := parts[-1].next_start) is not None:
        parts.append(read_part(path, limits, next_start, parts[-1].last_heading))
    return parts


@pytest.mark.parametrize(("write", "name", "told"), [
    (_rich_html, "guide.html", "Crossing 7: Before you book crossing 7, read how the harbour office handles "
     "the island depots 7 | Choose a day for crossing 7."),
    (_rich_markdown, "guide.md", "Crossing 7 | # not a heading 7: a comment in a code block"),
    (_rich_docx, "handbook.docx", "Is there a pool at site 7? | No, but the sauna at site 7 is open to every "
     "member."),
])
def test_units_do_not_depend_on_where_segments_are_cut(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write: Callable[[Path], Path], name: str, told: str,
) -> None:
    path = write(tmp_path / name)
    whole = _segments(path)
    assert len(whole) == 1  # small enough for one segment
    for module in (html_stream, markdown_reader, docx_reader):  # then tiny segments: cut everywhere
        monkeypatch.setattr(module, "STREAM_BYTES", 1024)
        monkeypatch.setattr(module, "FEED_BYTES", 1024, raising=False)
    monkeypatch.setattr(markdown_reader, "WINDOW", 4096)
    cut = _segments(path)
    assert len(cut) >= 10
    assert [b for part in cut for b in part.blocks] == whole[0].blocks
    assert whole[0].title == cut[0].title
    units = {f"{b.heading} | {b.text}" for b in whole[0].blocks}
    assert told in units
    assert not [u for u in units if "Hidden promotion" in u or "Site header" in u]


def _big(path: Path) -> list[tuple[str, str]]:
    """A file of about 1.3 MB of text in the format of `path`: the big plain-text manual's chapters."""
    text = path.with_suffix(".txt")
    expected = write_big_text(text, 1.3)
    sections: list[tuple[str, list[str]]] = []
    for heading, paragraph in expected:
        if not sections or sections[-1][0] != heading or len(sections[-1][1]) == 20:
            sections.append((heading, []))
        sections[-1][1].append(paragraph)
    text.unlink()
    docs.WRITERS[path.suffix](path, "Manual", sections)
    return expected


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx"])
def test_a_big_file_streams_in_committed_segments_and_resumes_after_an_interruption(
    store: KnowledgeStore, tmp_path: Path, suffix: str,
) -> None:
    big = tmp_path / f"manual{suffix}"
    expected = _big(big)
    assert sum(len(t) for _, t in expected) > 4 * STREAM_BYTES
    store.create("big")
    seen = interrupt_after_first_segment(store, "big", big)
    kept = len(store.chunks("big", str(big)))
    assert 0 < kept < len(expected)
    assert any("MB read" in p.message for p in seen if p.current)  # progress before the file is done
    assert store.documents("big")[0].partial and index_matches_ledger(store, "big")

    assert resume(store, "big", big) == kept  # carried on after what was stored, not from the start
    stored = store.chunks("big", str(big))
    assert [(c.heading, c.text) for c in stored] == expected
    assert [c.position for c in stored] == list(range(len(expected)))
    assert not store.documents("big")[0].partial and index_matches_ledger(store, "big")
    assert store.add("big", [big]).results[0].outcome is Outcome.UNCHANGED


def test_html_is_decoded_as_utf8_or_windows_1252_whatever_falls_at_its_first_8_kb(tmp_path: Path) -> None:
    legacy = tmp_path / "legacy.html"
    page = "<html><body><p>Our caf\u00e9 sells tea at \u00a32 a pot.</p></body></html>"
    legacy.write_bytes(page.encode("cp1252"))
    assert [b.text for b in _segments(legacy)[0].blocks] == ["Our café sells tea at £2 a pot."]
    # UTF-8 whose first 8 KB hold "Á" (C3 81: 81 is no Windows-1252 character) and end inside "€".
    lead = "<html><body><p>Árvore "
    padding = "x" * (8191 - len(lead.encode()))
    split = tmp_path / "split.html"
    split.write_bytes(f"{lead}{padding}€5 a pot.</p></body></html>".encode())
    assert split.read_bytes()[8191:8194] == "€".encode()
    assert [b.text for b in _segments(split)[0].blocks] == [f"Árvore {padding}€5 a pot."]


def test_the_file_being_streamed_is_read_once_and_a_resume_finds_its_segment_again(tmp_path: Path) -> None:
    streamed, small = tmp_path / "big.html", tmp_path / "small.html"
    streamed.write_text("big")
    small.write_text("small")
    opened: list[Path] = []

    @dataclass(frozen=True)
    class Part:
        start: int
        next_start: int | None

    def reading(path: Path, starts: list[int]) -> Callable[[], Iterator[Part]]:
        def segments() -> Iterator[Part]:
            opened.append(path)
            yield from (Part(s, n) for s, n in zip(starts, [*starts[1:], None], strict=True))
        return segments

    big_parts = reading(streamed, [0, 10, 20, 30])
    assert segment_at(streamed, 0, big_parts).next_start == 10
    assert segment_at(small, 0, reading(small, [0])).next_start is None  # read ahead in between
    assert segment_at(streamed, 10, big_parts).next_start == 20
    assert opened == [streamed, small]  # the big file was not read again
    assert segment_at(streamed, 20, big_parts).start == 20
    assert segment_at(streamed, 10, big_parts).start == 10  # a resume: read from the start, skipping
    assert opened == [streamed, small, streamed]
    with pytest.raises(UnreadableDocumentError, match=r"big\.html: no part of the file starts at 15"):
        segment_at(streamed, 15, big_parts)
