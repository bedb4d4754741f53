"""Text normalised for speech: what the caller hears instead of symbols, markup and digits."""

from __future__ import annotations

import pytest

from earpiece.core.tts import normalize_for_speech, strip_markdown

CASES = [
    # numbers
    ("We have 42 agents.", "We have forty-two agents."),
    ("It took 1,234 calls.", "It took one thousand two hundred and thirty-four calls."),
    ("Pi is 3.14.", "Pi is three point one four."),
    ("This is the 22nd time.", "This is the twenty-second time."),
    ("Founded in 1998, renewed in 2024.", "Founded in nineteen ninety-eight, renewed in twenty twenty-four."),
    ("Delivery takes 3-5 days.", "Delivery takes three to five days."),
    ("Ticket #42 is open.", "Ticket number forty-two is open."),
    # money
    ("The fee is $12.50.", "The fee is twelve dollars and fifty cents."),
    ("Refunds over $1,200 need approval.", "Refunds over one thousand two hundred dollars need approval."),
    ("It costs €5 or £3.20.", "It costs five euros or three pounds and twenty pence."),
    ("Only $1 today, or $0.99 tomorrow.", "Only one dollar today, or ninety-nine cents tomorrow."),
    ("A $1.5 million budget.", "A one point five million dollars budget."),
    ("That is 40 USD.", "That is forty dollars."),
    # percentages
    ("Save 15% now.", "Save fifteen percent now."),
    ("Rates rose 2.5%!", "Rates rose two point five percent!"),
    # times
    ("We open at 9:30.", "We open at nine thirty."),
    ("Come at 9:05 a.m.", "Come at nine oh five a.m."),
    ("Closed from 17:00.", "Closed from seventeen hundred."),
    ("Open 9am-5pm, Mon-Fri.", "Open nine a.m. to five p.m., Monday to Friday."),
    ("It is 12:00.", "It is twelve o'clock."),
    ("Support is 24/7.", "Support is twenty-four seven."),
    # dates
    ("Due on 2024-05-01.", "Due on May first, twenty twenty-four."),
    # phone numbers and identifiers
    ("Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
    ("Call +1 (555) 123-4567 now.", "Call plus one, five five five, one two three, four five six seven now."),
    ("Your order 1234567 shipped.", "Your order one two three four five six seven shipped."),
    # e-mail addresses
    ("Write to help@acme.com.", "Write to help at acme dot com."),
    ("Mail john.smith42@acme.co.uk today", "Mail john dot smith four two at acme dot co dot uk today"),
    ("Use billing_team-2@x.org", "Use billing underscore team dash two at x dot org"),
    # markdown, URLs, emoji, symbols
    ("**Important**: read *this* and `that`.", "Important: read this and that."),
    ("See [our policy](https://acme.com/refunds) for more.", "See our policy for more."),
    ("Details at https://acme.com/help?id=3 and www.acme.com.", "Details at and."),
    ("Great news 🎉👍🏽 for you!", "Great news for you!"),
    ("Tom & Jerry", "Tom and Jerry"),
    ("It is 25°C outside.", "It is twenty-five degrees Celsius outside."),
    ("Bring ID, e.g. a passport, etc.", "Bring ID, for example a passport, et cetera"),
    ("# Refunds\n- Card: 2 days\n- Cash: 5 days", "Refunds. Card: two days. Cash: five days."),
    ("| Plan | Price |\n|---|---|\n| Basic | $5 |", "Plan, Price. Basic, five dollars."),
    ("Plain words stay as they are.", "Plain words stay as they are."),
]


@pytest.mark.parametrize(("text", "spoken"), CASES, ids=[c[0][:40] for c in CASES])
def test_normalize_for_speech(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


def test_normalising_twice_changes_nothing() -> None:
    for text, spoken in CASES:
        assert normalize_for_speech(spoken) == spoken, text


def test_strip_markdown_keeps_single_lines_as_they_are() -> None:
    assert strip_markdown("Just one line") == "Just one line"
    assert strip_markdown("```\ncode here\n```") == "code here"
