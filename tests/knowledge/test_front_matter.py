"""A Markdown file's YAML front matter: its facts become units, site machinery does not, and broken or
hostile YAML neither crashes nor loses the text."""

from __future__ import annotations

from pathlib import Path

import pytest

from earpiece.core.interfaces import UnitKind
from earpiece.core.knowledge import LimitExceededError
from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.readers import read_document

FRONT = """---
title: "Harbour ferry"
layout: page
permalink: /ferry/
category: getting-here
weight: 4
sidenav: true
redirect_from:
  - /old-ferry/
description: The ferry to Skerry Island leaves from pier 3 every forty minutes.
operator:
  name: Skerry Boats Ltd
  phone: 0161 555 0199
bring_list:
  - a printed or mobile ticket
  - "__Photo ID__ for the [annual pass](/passes/)"
faq:
  - question: Can I take my bike?
    answer: Yes, bikes travel free on every crossing.
---

## Timetable

The first ferry leaves at seven in the morning and the last one returns at ten at night.
"""


def test_front_matter_facts_are_units_and_site_machinery_is_not(tmp_path: Path) -> None:
    path = tmp_path / "ferry.md"
    path.write_text(FRONT, encoding="utf-8")
    parsed = read_document(path)
    assert parsed.title == "Harbour ferry" and not parsed.problems
    units = {(b.kind, b.heading, b.text) for b in parsed.blocks}
    assert (UnitKind.ROW, "Harbour ferry",
            "Description: The ferry to Skerry Island leaves from pier 3 every forty minutes.") in units
    assert (UnitKind.ROW, "Harbour ferry", "Operator name: Skerry Boats Ltd") in units
    assert (UnitKind.ROW, "Harbour ferry", "Operator phone: 0161 555 0199") in units
    assert (UnitKind.LIST, "Harbour ferry: Bring list", "a printed or mobile ticket") in units
    assert (UnitKind.LIST, "Harbour ferry: Bring list", "Photo ID for the annual pass") in units
    assert (UnitKind.FAQ, "Can I take my bike?", "Yes, bikes travel free on every crossing.") in units
    text = " ".join(f"{b.heading} {b.text}" for b in parsed.blocks)
    for machinery in ("page", "/ferry/", "getting-here", "old-ferry", "True", "Weight", "Layout"):
        assert machinery not in text
    body = [b for b in parsed.blocks if b.heading == "Timetable"]
    assert [b.text for b in body] == [
        "The first ferry leaves at seven in the morning and the last one returns at ten at night."
    ]


def test_search_engine_copies_links_to_other_pages_and_taxonomy_are_no_facts(tmp_path: Path) -> None:
    # The shapes of real CMS front matter (VA.gov, HealthCare.gov): their values became candidates
    # such as "..., concurrence incomplete." or "Cost and Coverage>Dependent Coverage.".
    path = tmp_path / "flags.md"
    path.write_text(
        "---\ntitle: Request a Burial Flag\ndisplay_title: Burial Flags\n"
        "meta-title: Can I get a burial flag\nseo-description: Burial flags for Veterans\n"
        "concurrence: incomplete\naudience:\n  - individuals\ntarget-population: Young Adults\n"
        "barrier: \"Cost and Coverage>Dependent Coverage\"\n"
        "relatedlinks:\n  - header: Other Memorial Items\n  - title: Presidential Memorial Certificates\n"
        "    description: Find out about a certificate signed by the president.\n"
        "bite: You can get a flag if you are the next of kin.\n---\n\nBody text here.\n",
        encoding="utf-8",
    )
    parsed = read_document(path)
    text = " ".join(f"{b.heading} {b.text}" for b in parsed.blocks)
    assert "Bite: You can get a flag if you are the next of kin." in text
    for machinery in ("Burial Flags", "Can I get", "Veterans", "incomplete", "individuals", "Young Adults",
                      "Dependent Coverage", "Other Memorial", "Presidential", "signed by"):
        assert machinery not in text, machinery


def test_a_question_title_does_not_swallow_the_facts_as_its_answer(tmp_path: Path) -> None:
    path = tmp_path / "who.md"
    path.write_text("---\ntitle: Who can use it?\nsummary: Any public library in the county.\n---\n\n"
                    "Libraries apply through the county office with their membership number.\n")
    parsed = read_document(path)
    assert parsed.title == "Who can use it?"
    assert not [b for b in parsed.blocks if b.kind is UnitKind.FAQ]
    assert ("", "Summary: Any public library in the county.") in {(b.heading, b.text) for b in parsed.blocks}


def test_front_matter_that_is_not_yaml_is_kept_as_text_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.md"
    path.write_text('---\ntitle: Opening hours\nhours: "Mon-Fri 9 to 5\nclosed: [Sundays\n---\n\n'
                    "We are also closed on public holidays, except Easter Monday.\n")
    parsed = read_document(path)
    assert len(parsed.problems) == 1
    assert parsed.problems[0].startswith(f"{path}: the front matter (the block between the `---` lines) is "
                                         "not valid YAML at line ")
    assert parsed.problems[0].endswith("it was kept as plain text")
    text = " ".join(b.text for b in parsed.blocks)
    assert "Mon-Fri 9 to 5" in text and "Sundays" in text and "Easter Monday" in text


def test_an_alias_bomb_in_the_front_matter_is_stopped_by_the_character_limit(tmp_path: Path) -> None:
    levels = ["a: &a [\"lol lol lol lol\", \"lol lol lol lol\"]"]
    levels += [f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]" for n in range(8)]
    path = tmp_path / "laughs.md"
    path.write_text("---\n" + "\n".join(levels) + "\n---\n\nBody text of a perfectly normal page.\n")
    over = r"laughs\.md: the document holds .* characters of text, over the limit of 100,000 \(knowledge"
    with pytest.raises(LimitExceededError, match=over):
        read_document(path, IngestLimits(max_chars=100_000))
