"""Real support-page shapes that used to lose their facts at ingestion (read by the real readers)."""

from __future__ import annotations

from pathlib import Path

from earpiece.core.answers.units import candidates
from earpiece.core.interfaces import Passage, UnitKind
from earpiece.core.knowledge.readers import read_document


def _texts(path: Path) -> list[str]:
    return [b.text for b in read_document(path).blocks]


def test_help_centre_markdown_keeps_link_text_and_drops_template_tags(tmp_path: Path) -> None:
    page = tmp_path / "contact.md"
    page.write_text(
        "# Contact\n\n{!support-intro.md!}\n\n{start_tabs}\n\n"
        "1. Call us, or [get started]({{ site.baseurl }}{% link _pages/sign-up.md %}) online.\n"
        "{: .number-list}\n\n"
        "- To share feedback **privately**, contact\n  feedback@example.org. We read everything.\n\n"
        '!!! tip ""\n\n    Schools usually find the free plan is enough.\n'
    )
    texts = _texts(page)
    assert "Call us, or get started online." in texts
    assert "To share feedback privately, contact feedback@example.org. We read everything." in texts
    assert not any("{" in t or "}" in t or "!" in t for t in texts), texts


def test_a_short_line_stating_a_price_is_a_fact_with_its_description(tmp_path: Path) -> None:
    page = tmp_path / "fees.txt"
    page.write_text(
        "Basic Information\n\nEntrance Fees:\n\n"
        "Park (private vehicle) - $30.00\n\n7-day pass for the park\n\n"
        "Park (individual) - $15.00\n\n7-day pass for the park (per-person)\n"
    )
    rows = [b for b in read_document(page).blocks if b.kind is UnitKind.ROW]
    assert [r.text for r in rows] == [
        "Park (private vehicle) - $30.00. 7-day pass for the park",
        "Park (individual) - $15.00. 7-day pass for the park (per-person)",
    ]
    assert rows[0].heading == "Basic Information: Entrance Fees"


def test_an_email_or_phone_link_that_hides_its_address_is_spoken_with_it(tmp_path: Path) -> None:
    page = tmp_path / "support.md"
    page.write_text(
        "# Support\n\n"
        "For help, [email our support team](mailto:help@example.org) or call the\n"
        "[front desk](tel:+1-555-010-0199). Sales: [sales@example.org](mailto:sales@example.org).\n"
    )
    texts = _texts(page)
    assert (
        "For help, email our support team at help@example.org or call the front desk at +1-555-010-0199. "
        "Sales: sales@example.org." in " ".join(texts)
    ), texts


def test_a_numbered_procedure_is_also_one_unit_with_its_steps_in_order(tmp_path: Path) -> None:
    page = tmp_path / "reset.md"
    page.write_text(
        "## How to reset your password\n\n"
        "1. Go to the sign-in page.\n\n2. Select the “Forgot your password?” link.\n\n"
        "3. Enter your email address\n\n- Use a strong password.\n"
    )
    lists = [b for b in read_document(page).blocks if b.kind is UnitKind.LIST]
    steps = [b for b in lists if b.text.startswith("Go to") and "link." in b.text]
    assert [s.text for s in steps] == [
        "Go to the sign-in page. Select the “Forgot your password?” link. Enter your email address."
    ]
    assert steps[0].heading == "How to reset your password"
    assert len(lists) == 5  # the procedure, each step, and the bullet
    said = [c.spoken for c in candidates(Passage(steps[0].text, "reset.md", heading=steps[0].heading,
                                                 kind=UnitKind.LIST))]
    assert said[0].startswith("Go to the sign-in page. Select")  # from its first step
    assert "Enter your email address." in said  # or one step alone


def test_a_directory_copied_as_one_line_per_cell_is_read_as_rows(tmp_path: Path) -> None:
    page = tmp_path / "lost-and-found.txt"
    page.write_text(
        "Lost and Found\n\nCall the airport where you lost it.\n\n"
        "Albany International Airport (ALB)\nAlbany, New York\n518-555-0101(link is a phone number)\n"
        "Austin Airport (AUS)\nAustin, Texas\n512-555-0102(link is a phone number)\n"
        "Baltimore Airport (BWI)\nBaltimore, Maryland\nOnline Form\n"
        "Bangor Airport (BGR)\nBangor, Maine\n207-555-0103\n"
    )
    rows = [b.text for b in read_document(page).blocks if b.kind is UnitKind.ROW]
    assert rows[1] == "Austin Airport (AUS); Austin, Texas; 512-555-0102"
    assert len(rows) == 4
    prose = tmp_path / "prose.txt"
    prose.write_text("Our hours\nMonday to Friday\nnine to five\nWeekends\nclosed\nHolidays\nclosed\n")
    assert not [b for b in read_document(prose).blocks if b.kind is UnitKind.ROW]


def test_html_indented_inside_markdown_is_read_as_markup_not_code(tmp_path: Path) -> None:
    page = tmp_path / "reactivate.md"
    page.write_text(
        "## Reactivate your profile\n\n<div class=\"accordion\">\n  <p>You need your personal key.</p>\n\n"
        "    <ol>\n      <li>Sign in with your new password.</li>\n"
        "      <li>Select “Reactivate your profile now.”</li>\n    </ol>\n</div>\n"
    )
    texts = _texts(page)
    assert "Select “Reactivate your profile now.”" in texts
    assert not any("<" in t for t in texts), texts
