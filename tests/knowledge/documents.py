"""Real documents of every supported format, written at test time."""

from __future__ import annotations

from pathlib import Path

import docx
from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Paragraph, SimpleDocTemplate

Section = tuple[str, list[str]]  # (heading, paragraphs)


def write_pdf(path: Path, title: str, sections: list[Section]) -> Path:
    styles = getSampleStyleSheet()
    story = [Paragraph(title, styles["Title"])]
    for heading, paragraphs in sections:
        story.append(Paragraph(heading, styles["Heading2"]))
        story.extend(Paragraph(p, styles["BodyText"]) for p in paragraphs)
    SimpleDocTemplate(str(path), pagesize=A4, title=title).build(story)
    return path


def write_docx(path: Path, title: str, sections: list[Section]) -> Path:
    document = docx.Document()
    document.core_properties.title = title
    document.add_heading(title, level=0)
    for heading, paragraphs in sections:
        document.add_heading(heading, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def write_md(path: Path, title: str, sections: list[Section]) -> Path:
    parts = [f"# {title}"]
    for heading, paragraphs in sections:
        parts.append(f"## {heading}")
        parts.extend(paragraphs)
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def write_html(path: Path, title: str, sections: list[Section]) -> Path:
    body = "".join(
        f"<h2>{h}</h2>" + "".join(f"<p>{p}</p>" for p in ps) for h, ps in sections
    )
    path.write_text(
        f"<html><head><title>{title}</title><script>var x = 1;</script></head>"
        f"<body><nav>Home | Shop</nav><h1>{title}</h1>{body}<footer>Copyright</footer></body></html>",
        encoding="utf-8",
    )
    return path


def write_txt(path: Path, title: str, sections: list[Section]) -> Path:
    parts = [title]
    for heading, paragraphs in sections:
        parts.append(heading)
        parts.extend(paragraphs)
    path.write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return path


def write_csv(path: Path, rows: list[tuple[str, str]]) -> Path:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Question", "Answer"])
        writer.writerows(rows)
    return path


def write_corrupt_pdf(path: Path) -> Path:
    """A PDF header followed by garbage: what a truncated download looks like."""
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n" + bytes(range(256)) * 4)
    return path


def write_binary_as_txt(path: Path) -> Path:
    """A PNG-like binary renamed to .txt."""
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    return path


def write_encrypted_pdf(path: Path, source: Path) -> Path:
    writer = PdfWriter(clone_from=str(source))
    writer.encrypt("secret")
    writer.write(str(path))
    return path


# One distinct, checkable fact per format, so a search proves that format's text reached the index.
FORMAT_FACTS: dict[str, tuple[str, list[Section], str]] = {
    # suffix: (title, sections, a question whose answer is only in that file)
    ".pdf": ("Fleet Leasing Guide", [
        ("Lease terms", ["Company vans are leased for 36 months with a mileage cap of 12,000 miles per year.",
                         "Excess mileage is charged at 9 pence per mile at the end of the lease."]),
        ("Insurance", ["Fully comprehensive insurance is included for named drivers over 25 years old."]),
    ], "how many miles a year can I drive the leased van"),
    ".docx": ("Staff Canteen Rules", [
        ("Meal times", ["The staff canteen serves hot lunches from 12:15 to 14:00 on weekdays."]),
        ("Payment", ["Meals are paid with the blue staff badge; cash is not accepted in the canteen."]),
    ], "can I pay with cash at the canteen"),
    ".md": ("Parking Permits", [
        ("Applying", ["Parking permits for the Riverside car park cost 180 pounds per quarter."]),
    ], "what does a Riverside parking permit cost"),
    ".html": ("Library Opening", [
        ("Hours", ["The Quayside public library opens at 7:30 on Thursdays for early readers."]),
    ], "when does the Quayside library open on Thursday"),
    ".txt": ("Bicycle Scheme", [
        ("Loans", ["Employees can borrow up to 1,000 pounds interest-free to buy a bicycle for commuting."]),
    ], "how much can I borrow to buy a bike"),
}
CSV_ROWS = [
    ("What is the guest Wi-Fi password?", "The guest Wi-Fi password is printed on the reception desk card."),
    ("Where is the first aid kit?", "The first aid kit hangs next to the lift on every floor."),
]
CSV_ROWS.append(CSV_ROWS[-1])  # a duplicate row, which must collapse
CSV_QUESTION = "I cut my finger, where are the plasters"

WRITERS = {".pdf": write_pdf, ".docx": write_docx, ".md": write_md, ".html": write_html, ".txt": write_txt}


def write_every_format(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        suffix: WRITERS[suffix](folder / f"doc{suffix}", title, sections)
        for suffix, (title, sections, _) in FORMAT_FACTS.items()
    }
    paths[".csv"] = write_csv(folder / "doc.csv", CSV_ROWS)
    return paths
