"""Every format read from real files; bad files give a specific, actionable error."""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import NameObject, StreamObject
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge import EmptyDocumentError, UnreadableDocumentError, UnsupportedFormatError
from earpiece.core.knowledge.chunking import chunk_blocks
from earpiece.core.knowledge.readers import read_document
from tests.knowledge import documents as docs
from tests.knowledge.conftest import SAMPLE_KB


@pytest.mark.parametrize("suffix", [".pdf", ".docx", ".md", ".html", ".txt"])
def test_every_format_keeps_text_and_sections(tmp_path: Path, suffix: str) -> None:
    title, sections, _ = docs.FORMAT_FACTS[suffix]
    path = docs.WRITERS[suffix](tmp_path / f"doc{suffix}", title, sections)
    parsed = read_document(path)
    assert parsed.title == title
    assert parsed.kind == suffix[1:]
    text = " ".join(b.text for b in parsed.blocks)
    for _, paragraphs in sections:
        for paragraph in paragraphs:
            assert " ".join(paragraph.split()) in " ".join(text.split())
    if suffix == ".pdf":
        assert {b.location for b in parsed.blocks} == {"page 1"}
    else:
        headings = {b.heading for b in parsed.blocks}
        assert {h for h, _ in sections} <= headings


def test_html_drops_scripts_navigation_and_footer_and_keeps_tables(tmp_path: Path) -> None:
    parsed = read_document(SAMPLE_KB / "contact-and-opening-hours.html")
    text = " ".join(b.text for b in parsed.blocks)
    assert "Day: Saturday; Hours: 9:00 am to 1:00 pm" in text
    assert "font-family" not in text and "Registered in England" not in text and "Shop" not in text
    assert parsed.title == "Contact Larkspur Customer Care"


def test_markdown_strips_syntax(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("# Title\n\n## Part\n\nSee **bold** and [the link](http://x.example) and `code`.\n\n"
                    "- item one\n- item two\n")
    parsed = read_document(path)
    assert [b.text for b in parsed.blocks] == ["See bold and the link and code.", "item one", "item two"]
    assert parsed.blocks[0].heading == "Part"


def test_csv_rows_become_faq_units(tmp_path: Path) -> None:
    parsed = read_document(docs.write_csv(tmp_path / "faq.csv", docs.CSV_ROWS))
    expected = [(q, a, UnitKind.FAQ) for q, a in docs.CSV_ROWS]
    assert [(b.heading, b.text, b.kind) for b in parsed.blocks] == expected
    assert parsed.blocks[0].location == "line 2"


def test_csv_without_question_answer_columns_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text("sku,price\nA1,3.50\n")
    with pytest.raises(UnreadableDocumentError, match="'question' and an 'answer' column"):
        read_document(path)


def test_corrupt_pdf(tmp_path: Path) -> None:
    path = docs.write_corrupt_pdf(tmp_path / "broken.pdf")
    with pytest.raises(UnreadableDocumentError, match=r"broken\.pdf: not a readable PDF"):
        read_document(path)


def test_password_protected_pdf(tmp_path: Path) -> None:
    title, sections, _ = docs.FORMAT_FACTS[".pdf"]
    plain = docs.write_pdf(tmp_path / "plain.pdf", title, sections)
    with pytest.raises(UnreadableDocumentError, match="password-protected"):
        read_document(docs.write_encrypted_pdf(tmp_path / "locked.pdf", plain))


def test_binary_file_renamed_txt(tmp_path: Path) -> None:
    path = docs.write_binary_as_txt(tmp_path / "photo.txt")
    with pytest.raises(UnreadableDocumentError, match=r"photo\.txt: this looks like a binary file"):
        read_document(path)


def test_word_file_that_is_not_a_docx(tmp_path: Path) -> None:
    path = tmp_path / "letter.docx"
    path.write_text("plain text pretending to be Word")
    with pytest.raises(UnreadableDocumentError, match=r"letter\.docx: not a readable Word"):
        read_document(path)


def test_a_docx_whose_compressed_text_is_damaged_is_refused_by_name(tmp_path: Path) -> None:
    title, sections, _ = docs.FORMAT_FACTS[".docx"]
    path = docs.write_docx(tmp_path / "damaged.docx", title, sections)
    with zipfile.ZipFile(path) as archive:
        part = archive.getinfo("word/document.xml")
    data = bytearray(path.read_bytes())
    body = part.header_offset + 30 + len(part.filename.encode()) + len(part.extra)
    data[body : body + 16] = b"\xff" * 16  # deflate block type 3: "invalid block type"
    path.write_bytes(bytes(data))
    with pytest.raises(UnreadableDocumentError, match=r"damaged\.docx: not a readable Word"):
        read_document(path)


def test_a_pdf_page_in_a_filter_pypdf_does_not_know_is_left_out_and_the_others_kept(tmp_path: Path) -> None:
    styles = getSampleStyleSheet()
    plain = tmp_path / "plain.pdf"
    pages = ["Page one: the opening hours.", "Page two: the returns policy."]
    SimpleDocTemplate(str(plain)).build([Paragraph(pages[0], styles["BodyText"]), PageBreak(),
                                          Paragraph(pages[1], styles["BodyText"])])
    writer = PdfWriter(clone_from=plain)
    contents = writer.pages[0]["/Contents"].get_object()
    assert isinstance(contents, StreamObject)
    contents[NameObject("/Filter")] = NameObject("/NoSuchFilter")
    path = tmp_path / "odd.pdf"
    writer.write(path)
    parsed = read_document(path)
    assert [b.text for b in parsed.blocks] == [pages[1]]
    assert parsed.problems == [
        f"{path}: page 1 could not be read and was left out (Unsupported filter /NoSuchFilter)"
    ]


def test_html_in_no_encoding_it_could_be_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "odd.html"
    path.write_bytes(b"<p>caf\xe9 \x81 prices</p>")  # 0x81: no character in UTF-8 nor Windows-1252
    with pytest.raises(UnreadableDocumentError, match=r"odd\.html: the text is neither UTF-8 nor Windows"):
        read_document(path)


def test_unsupported_type_names_the_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04")
    with pytest.raises(UnsupportedFormatError, match=r"unsupported file type '\.xlsx'.*\.docx"):
        read_document(path)


@pytest.mark.timeout(30)  # an empty or blank HTML page once looped until the parse time limit
@pytest.mark.parametrize("suffix", [".md", ".txt", ".html", ".csv"])
@pytest.mark.parametrize("text", ["", "\n\n   \n"], ids=["empty", "blank"])
def test_empty_document(tmp_path: Path, suffix: str, text: str) -> None:
    path = (tmp_path / "empty").with_suffix(suffix)
    path.write_text(text)
    with pytest.raises(EmptyDocumentError, match=r"contains no text|has no rows"):
        read_document(path)


@pytest.mark.timeout(30)
def test_a_page_of_only_a_comment_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "comment.html"
    path.write_text("<!-- nothing here yet -->\n")
    with pytest.raises(EmptyDocumentError, match="contains no text"):
        read_document(path)


def test_text_straight_in_the_body_of_a_page_is_read_in_order(tmp_path: Path) -> None:
    path = tmp_path / "snippet.html"
    path.write_text("Open Monday to Friday, 9 to 5. <b>Closed</b> on Sunday.<h2>Returns</h2>"
                    "Within <i>30 days</i>, with the receipt.")
    texts = [(b.heading, b.text) for b in read_document(path).blocks]
    assert texts == [("", "Open Monday to Friday, 9 to 5. Closed on Sunday."),
                     ("Returns", "Within 30 days, with the receipt.")]


def test_windows_1252_text_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "legacy.txt"
    path.write_bytes("Prices start at \u00a3 5 and caf\u00e9 drinks are extra.".encode("cp1252"))
    assert read_document(path).blocks[0].text == "Prices start at £ 5 and café drinks are extra."


def test_chunks_respect_sections_size_and_overlap() -> None:
    parsed = read_document(SAMPLE_KB / "returns-and-refunds.md")
    chunks = chunk_blocks(parsed.blocks)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert all(len(c.text) <= 520 for c in chunks)  # a spoken answer, not a page
    headings = [c.heading for c in chunks]
    assert "Refund window" in headings and "When you get your money" in headings
    assert not any("Post Office" in c.text and c.heading == "Refund window" for c in chunks)


def test_long_paragraph_is_cut_at_sentences_with_overlap() -> None:
    from earpiece.core.knowledge.units import Block

    sentences = [f"Fact number {i} is that the depot in town {i} opens at {i} o'clock." for i in range(30)]
    chunks = chunk_blocks([Block(" ".join(sentences), "Depots")])
    assert len(chunks) > 3
    for previous, following in itertools.pairwise(chunks):
        last_sentence = previous.text.rsplit("Fact number", 1)[1]
        assert following.text.startswith("Fact number" + last_sentence)  # the boundary sentence repeats
    assert all(c.text.endswith(".") for c in chunks)


def test_each_paragraph_is_a_unit_with_no_overlap_across_paragraphs_and_short_remarks_join_the_next() -> None:
    from earpiece.core.knowledge.units import Block

    e1 = ("E1 means the water tank is empty or not seated properly. "
          "Fill the tank and push it down until it clicks.")
    e4 = "E4 means the machine needs descaling. Run the descaling programme from the Settings menu now."
    remark = "Most problems are quick to fix."
    chunks = chunk_blocks([Block(e1, "Errors"), Block(remark, "Errors"), Block(e4, "Errors")])
    assert [c.text for c in chunks] == [e1, f"{remark} {e4}"]
    assert all(c.heading == "Errors" for c in chunks)
