"""Documents are cut where their meaning is: FAQ pairs, table rows with headers, list items with their
lead-in, short sections with their heading; read from real files of every format."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge import KnowledgeStore
from earpiece.core.knowledge.chunking import Chunk, chunk_blocks
from earpiece.core.knowledge.readers import read_document
from tests.knowledge import documents as docs
from tests.knowledge.conftest import SAMPLE_KB

WARRANTY_FAQ = """Warranty questions

Q: How long is the warranty on the Volta e-bike frame?
A: The frame is guaranteed for ten years from the date of purchase.

Q: How long is the battery warranty?
A: The battery is covered for two years or 500 charging cycles, whichever comes first.

Q: Does the warranty cover punctures?
A: No. Tyres and inner tubes wear out in normal use and are not covered.
"""


def units(path: Path) -> list[Chunk]:
    return chunk_blocks(read_document(path).blocks)


def faq_pairs(path: Path) -> list[tuple[str, str]]:
    return [(c.heading, c.text) for c in units(path) if c.kind is UnitKind.FAQ]


def test_plain_text_faq_with_q_and_a_markers_gives_one_unit_per_pair(tmp_path: Path) -> None:
    path = tmp_path / "warranty.txt"
    path.write_text(WARRANTY_FAQ)
    assert faq_pairs(path) == [
        ("How long is the warranty on the Volta e-bike frame?",
         "The frame is guaranteed for ten years from the date of purchase."),
        ("How long is the battery warranty?",
         "The battery is covered for two years or 500 charging cycles, whichever comes first."),
        ("Does the warranty cover punctures?",
         "No. Tyres and inner tubes wear out in normal use and are not covered."),
    ]


@pytest.mark.parametrize("layout", ["question-answer", "numbered", "blank-line", "same-line"])
def test_plain_text_faq_layouts(tmp_path: Path, layout: str) -> None:
    text = {
        "question-answer": "Question: Can I bring my dog?\nAnswer: Only guide dogs are allowed inside.\n\n"
                           "Question: Is parking free?\nAnswer: Parking costs 2 pounds an hour.\n",
        "numbered": "1. Can I bring my dog?\nOnly guide dogs are allowed inside.\n\n"
                    "2. Is parking free?\nParking costs 2 pounds an hour.\n",
        "blank-line": "Can I bring my dog?\n\nOnly guide dogs are allowed inside.\n\n"
                      "Is parking free?\n\nParking costs 2 pounds an hour.\n",
        "same-line": "Q: Can I bring my dog? A: Only guide dogs are allowed inside.\n\n"
                     "Q: Is parking free? A: Parking costs 2 pounds an hour.\n",
    }[layout]
    path = tmp_path / "visit.txt"
    path.write_text(text)
    assert faq_pairs(path) == [
        ("Can I bring my dog?", "Only guide dogs are allowed inside."),
        ("Is parking free?", "Parking costs 2 pounds an hour."),
    ]


def test_a_short_last_line_cut_off_mid_sentence_is_prose_not_a_heading(tmp_path: Path) -> None:
    """Pages saved from the web often end cut off; a short unpunctuated line is a heading only when
    no sentence ends inside it."""
    path = tmp_path / "park.txt"
    path.write_text("Visiting the park\n\nThe shuttle is free.\n\nBring Your Dog\n\n"
                    "Pets are welcome on trails, but rules apply. Federal l")
    chunks = units(path)
    assert any("Pets are welcome on trails, but rules apply." in c.text for c in chunks)
    assert [c.heading for c in chunks if "Pets" in c.text] == ["Bring Your Dog"]


def test_markdown_question_headings_lists_with_lead_in_and_tables(tmp_path: Path) -> None:
    path = tmp_path / "pool.md"
    path.write_text(
        "# Riverside Pool\n\n"
        "## Can children swim alone?\n\nChildren under 8 must be with an adult in the water.\n\n"
        "## Prices\n\n| Ticket | Price |\n|---|---|\n| Adult | £5.20 |\n| Child | £2.60 |\n\n"
        "## Lockers\n\nTo use a locker you need:\n\n- a 1 pound coin\n- your own padlock for day lockers\n\n"
        "**Q:** Do you sell goggles?\n**A:** Yes, at reception for 6 pounds.\n\n"
        "**Can I bring food?** Only in the café by the entrance.\n"
    )
    chunks = units(path)
    by_kind = {kind: [(c.heading, c.text) for c in chunks if c.kind is kind] for kind in UnitKind}
    assert by_kind[UnitKind.FAQ] == [
        ("Can children swim alone?", "Children under 8 must be with an adult in the water."),
        ("Do you sell goggles?", "Yes, at reception for 6 pounds."),
        ("Can I bring food?", "Only in the café by the entrance."),
    ]
    assert by_kind[UnitKind.ROW] == [("Prices", "Ticket: Adult; Price: £5.20"),
                                     ("Prices", "Ticket: Child; Price: £2.60")]
    lead_in = "Lockers: To use a locker you need"
    assert by_kind[UnitKind.LIST] == [(lead_in, "a 1 pound coin"),
                                      (lead_in, "your own padlock for day lockers")]


def test_html_faq_markup_tables_and_lists(tmp_path: Path) -> None:
    path = tmp_path / "museum.html"
    path.write_text("""<html><head><title>Harbour Museum</title></head><body>
      <h1>Harbour Museum</h1>
      <div itemscope itemtype="https://schema.org/FAQPage">
        <div itemscope itemprop="mainEntity" itemtype="https://schema.org/Question">
          <h3 itemprop="name">Is the museum free?</h3>
          <div itemscope itemprop="acceptedAnswer" itemtype="https://schema.org/Answer">
            <div itemprop="text"><p>Entry is free; special exhibitions cost 8 pounds.</p></div></div>
        </div>
      </div>
      <dl><dt>Can I take photos?</dt><dd>Yes, without flash.</dd></dl>
      <ol><li><h3>Are there lockers?</h3><p>Yes, by the main entrance.</p></li></ol>
      <details><summary>Is there a cloakroom?</summary>
        <p>Yes, on the ground floor, free of charge.</p></details>
      <p><strong>Can I bring food?</strong> Only in the café on level 2.</p>
      <h2>Opening times</h2>
      <table><caption>Opening times</caption>
        <thead><tr><th>Day</th><th>Open</th><th>Close</th></tr></thead>
        <tbody><tr><td>Monday</td><td colspan="2">Closed</td></tr>
               <tr><td>Tuesday</td><td>10:00</td><td>17:00</td></tr></tbody>
      </table>
      <h2>Getting here</h2>
      <p>You can reach us by:</p>
      <ul><li>bus 42 to Quay Street</li><li><p>the harbour ferry</p></li></ul>
    </body></html>""")
    chunks = units(path)
    assert [(c.heading, c.text) for c in chunks if c.kind is UnitKind.FAQ] == [
        ("Is the museum free?", "Entry is free; special exhibitions cost 8 pounds."),
        ("Can I take photos?", "Yes, without flash."),
        ("Are there lockers?", "Yes, by the main entrance."),
        ("Is there a cloakroom?", "Yes, on the ground floor, free of charge."),
        ("Can I bring food?", "Only in the café on level 2."),
    ]
    assert [c.text for c in chunks if c.kind is UnitKind.ROW] == [
        "Day: Monday; Open: Closed", "Day: Tuesday; Open: 10:00; Close: 17:00",
    ]
    assert [(c.heading, c.text) for c in chunks if c.kind is UnitKind.LIST] == [
        ("Getting here: You can reach us by", "bus 42 to Quay Street"),
        ("Getting here: You can reach us by", "the harbour ferry"),
    ]
    assert sum("ferry" in c.text for c in chunks) == 1  # an item's paragraph is not a block of its own


def test_docx_question_headings_list_styles_and_tables(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_heading("Gym Membership", level=0)
    document.add_heading("Can I freeze my membership?", level=1)
    document.add_paragraph("Yes, for up to three months a year at no cost.")
    bold = document.add_paragraph()
    bold.add_run("Is there a pool?").bold = True
    bold.add_run(" No, but the sauna is open to every member.")
    document.add_heading("Classes", level=1)
    document.add_paragraph("Every membership includes:")
    document.add_paragraph("unlimited spin classes", style="List Bullet")
    document.add_paragraph("two personal training sessions", style="List Bullet")
    table = document.add_table(rows=3, cols=2)
    plans = [("Plan", "Monthly fee"), ("Off-peak", "£19"), ("Anytime", "£29")]
    for row, (plan, price) in zip(table.rows, plans, strict=True):
        row.cells[0].text, row.cells[1].text = plan, price
    path = tmp_path / "gym.docx"
    document.save(str(path))
    chunks = units(path)
    assert [(c.heading, c.text) for c in chunks if c.kind is UnitKind.FAQ] == [
        ("Can I freeze my membership?", "Yes, for up to three months a year at no cost."),
        ("Is there a pool?", "No, but the sauna is open to every member."),
    ]
    assert [c.text for c in chunks if c.kind is UnitKind.LIST] == [
        "unlimited spin classes", "two personal training sessions",
    ]
    assert [c.text for c in chunks if c.kind is UnitKind.ROW] == [
        "Plan: Off-peak; Monthly fee: £19", "Plan: Anytime; Monthly fee: £29",
    ]


def test_pdf_faq(tmp_path: Path) -> None:
    path = tmp_path / "parking.pdf"
    styles = getSampleStyleSheet()
    story = [Paragraph("Parking FAQ", styles["Title"])]
    for question, answer in [("Q: Is parking free on Sundays?", "A: Yes, all day on Sundays."),
                             ("Q: Where do I pay?", "A: At the machines by the lifts or in the app.")]:
        story += [Paragraph(question, styles["BodyText"]), Paragraph(answer, styles["BodyText"])]
    SimpleDocTemplate(str(path), pagesize=A4, title="Parking FAQ").build(story)
    assert faq_pairs(path) == [("Is parking free on Sundays?", "Yes, all day on Sundays."),
                               ("Where do I pay?", "At the machines by the lifts or in the app.")]


def test_csv_faq(tmp_path: Path) -> None:
    path = docs.write_csv(tmp_path / "faq.csv", docs.CSV_ROWS[:2])
    assert faq_pairs(path) == docs.CSV_ROWS[:2]


def test_sample_table_is_one_row_per_day_and_prices_are_their_own_units() -> None:
    hours = units(SAMPLE_KB / "contact-and-opening-hours.html")
    assert [(c.heading, c.text) for c in hours if c.kind is UnitKind.ROW] == [
        ("Opening hours", "Day: Monday to Friday; Hours: 8:00 am to 6:00 pm"),
        ("Opening hours", "Day: Saturday; Hours: 9:00 am to 1:00 pm"),
        ("Opening hours", "Day: Sunday and bank holidays; Hours: Closed"),
    ]
    products = units(SAMPLE_KB / "products-and-prices.md")
    assert ("Larkspur Barista One", "Price: £349") in [(c.heading, c.text) for c in products
                                                       if c.kind is UnitKind.ROW]
    assert ("Accessories", "Milk jug for the Barista One: £24") in [(c.heading, c.text) for c in products
                                                                    if c.kind is UnitKind.LIST]
    sections = [c for c in products if c.kind is UnitKind.SECTION]
    assert any(c.heading == "Trade-in offer" and "£50 off" in c.text for c in sections)


def test_long_prose_is_still_packed_into_sentence_runs() -> None:
    chunks = units(SAMPLE_KB / "warranty.txt")
    assert {c.kind for c in chunks} == {UnitKind.TEXT} and len(chunks) > 3


@pytest.mark.models
def test_faq_units_are_searched_with_their_question_and_come_back_with_kind_and_heading(
    store: KnowledgeStore, tmp_path: Path
) -> None:
    path = tmp_path / "warranty.txt"
    path.write_text(WARRANTY_FAQ)
    store.create("bikes")
    store.add("bikes", [path])
    best = store.search("bikes", "how long is my battery guaranteed for", 1).passages[0]
    assert (best.kind, best.heading) == (UnitKind.FAQ, "How long is the battery warranty?")
    assert best.text.startswith("The battery is covered for two years")
    assert best.title == "Warranty questions — How long is the battery warranty?"
    puncture = store.search("bikes", "is a flat tyre covered", 1).passages[0]
    assert puncture.heading == "Does the warranty cover punctures?"


def test_markdown_front_matter_and_template_tags_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "rules.md"
    path.write_text("---\ntitle: \"Pool rules\"\nlayout: page\nredirect_from:\n  - /old/\n---\n\n"
                    "Running on the poolside is not allowed. {% include banner.html %}\n\n"
                    "<div class=\"note\">Lifeguards are on duty from {{ site.open }} 7 am.</div>\n")
    parsed = read_document(path)
    assert parsed.title == "Pool rules"
    assert [b.text for b in parsed.blocks] == ["Running on the poolside is not allowed.",
                                               "Lifeguards are on duty from 7 am."]


def test_a_price_set_apart_by_the_layout_is_one_unit_with_what_it_counts(tmp_path: Path) -> None:
    # A pricing page's boxes: the figure in one element, what it is per in the next.
    path = tmp_path / "pricing.html"
    path.write_text("""<html><body><h2>Standard</h2>
      <ul><li>Unlimited search history</li></ul>
      <div class="price"><span>$</span>6.67</div>
      <div class="details"><p>/user/month billed annually or <b>$8</b> billed monthly</p></div>
      <h2>Plus</h2>
      <div class="price">$13.34</div>
      <p>Everything in Standard.</p>
      </body></html>""", encoding="utf-8")
    units = [(b.heading, b.text) for b in read_document(path).blocks if b.kind is UnitKind.TEXT]
    assert ("Standard", "$6.67 /user/month billed annually or $8 billed monthly") in units
    # A figure followed by a sentence of its own stays apart.
    assert ("Plus", "$13.34") in units and ("Plus", "Everything in Standard.") in units
