"""Answer units cut into candidates, and how each is spoken."""

from __future__ import annotations

from earpiece.core.answers.question import analyse
from earpiece.core.answers.selector import eligible, shared_selector
from earpiece.core.answers.units import Candidate, candidates, incomplete, sentences, speak_row
from earpiece.core.interfaces import Passage, UnitKind


def test_a_table_row_is_spoken_as_that_row() -> None:
    assert speak_row("Day: Sunday and bank holidays; Hours: Closed") == "Sunday and bank holidays: Closed."
    assert speak_row("Model: Barista One; Price: £349; Colours: black, red") == (
        "Barista One, price £349, colours black, red."
    )
    assert speak_row("Price: £349", "Larkspur Barista One") == "Larkspur Barista One, price £349."
    row = Passage("Day: Saturday; Hours: 9:00 am to 1:00 pm", "hours.html", heading="Opening hours",
                  kind=UnitKind.ROW)
    [only] = candidates(row)
    assert only.spoken == "Saturday: 9:00 am to 1:00 pm." and only.context == "Opening hours"


def test_an_faq_is_matched_on_its_question_and_spoken_as_its_answer() -> None:
    faq = Passage("The battery is covered for one year. Other parts for two.", "warranty.txt",
                  heading="How long is the battery covered?", kind=UnitKind.FAQ)
    [only] = candidates(faq)
    assert only.spoken == "The battery is covered for one year. Other parts for two."
    assert only.match_text.startswith("How long is the battery covered?")


def test_a_later_sentence_of_a_long_faq_answer_can_be_said_alone() -> None:
    faq = Passage("All items are screened. Label your medication. Liquids over 3.4 ounces are allowed "
                  "when medically necessary.", "faq.txt", heading="Can I fly with medication?",
                  kind=UnitKind.FAQ)
    said = [c.spoken for c in candidates(faq)]
    assert said[0] == "All items are screened. Label your medication."
    assert "Liquids over 3.4 ounces are allowed when medically necessary." in said[1:]


def test_a_link_whose_address_a_template_emptied_is_read_as_its_text() -> None:
    said = sentences("If you want [full access]( /pricing/), email us.")
    assert said == ["If you want full access, email us."]


def test_keypad_keys_survive_while_markdown_goes() -> None:
    said = sentences("## Menu\n* Press **star** then 1, or press * then # to go back.\n"
                     "See the [price list](https://example.org/prices) for _all_ fees.")
    assert said == ["Press star then 1, or press * then # to go back.", "See the price list for all fees."]


def test_wrapped_lines_are_one_sentence_and_questions_are_not_answers() -> None:
    said = sentences("Q: Can I return it?\nA: Yes, within 30 days\nof delivery, unused.")
    assert said == ["Yes, within 30 days of delivery, unused."]


def test_a_short_question_in_a_paragraph_is_said_with_the_sentence_it_leads_to() -> None:
    # Without its "Calling from abroad?" the international number was the customer-care number the
    # sample's selector ranked first.
    text = ("Call us free on 0800 555 0142 from any UK landline or mobile. Calling from abroad? "
            "Use +44 116 496 0330 (standard international rates apply).")
    abroad = "Calling from abroad? Use +44 116 496 0330 (standard international rates apply)."
    assert sentences(text)[1] == abroad
    # a full question is an FAQ's, not a condition: left out as before
    assert sentences("Can I return it? Yes, within 30 days.") == ["Yes, within 30 days."]


def test_a_figure_in_a_heading_is_spoken_with_its_text() -> None:
    unit = Passage("7-day pass for Yellowstone National Park.", "nps.txt",
                   heading="Yellowstone (private vehicle) - $30.00", kind=UnitKind.SECTION)
    assert candidates(unit)[0].spoken == (
        "Yellowstone (private vehicle) - $30.00: 7-day pass for Yellowstone National Park."
    )


def test_text_that_lost_a_link_or_is_a_question_is_incomplete() -> None:
    assert incomplete("To reset your password, go to .")
    assert incomplete("To share feedback privately, contact.")
    assert incomplete("Does TSA keep lost items?")
    assert not incomplete("Refunds take 5 working days.")


def test_a_sentence_that_points_back_is_said_with_the_one_before() -> None:
    text = ("If you want to drive up the Cadillac Summit Road between late-May and mid-October, you will "
            "also need to buy a vehicle reservation. These are only sold online in advance and are not "
            "available for purchase in person in the park. Learn more at the park's website.")
    said = [c.spoken for c in candidates(Passage(text, "acadia.txt"))]
    assert "These are only sold online in advance and are not available for purchase in person in the park." \
        not in said
    assert said[1].startswith("If you want to drive up") and said[1].endswith("in person in the park.")


def test_a_yes_or_no_answer_that_points_back_is_chosen_over_the_sentence_before() -> None:
    """The Acadia page (tests/data/answers): "can I buy it at the park?" is answered by "These are only
    sold online...", which alone says nothing; scored apart, the sentence before won (wrongly)."""
    acadia = Passage("If you want to drive up the Cadillac Summit Road between late-May and mid-October, "
                     "you will also need to buy a vehicle reservation. These are only sold online in "
                     "advance and are not available for purchase in person in the park.",
                     "acadia.txt", score=0.6, title="Acadia: top 5 things to know")
    asked = "can I just buy the Cadillac Summit Road reservation when I get to the park?"
    best = shared_selector().select(asked, [acadia]).best
    assert best is not None and "only sold online" in best.candidate.spoken


def test_a_pronoun_standing_for_what_the_candidate_does_not_say_is_not_spoken() -> None:
    """"This will take you back to the Login.gov website." (a step after "click Delete") was spoken
    for "can I get my deleted account back?". An FAQ's answer has its question to stand for."""
    asked = analyse("can I get my deleted account back?")
    step = Passage("This will take you back to the Login.gov website.", "delete.html",
                   heading="Delete your account", kind=UnitKind.LIST)
    faq = Passage("It is permanent: a deleted account cannot be restored.", "faq.txt",
                  heading="Can I undo deleting my account?", kind=UnitKind.FAQ)
    statement = Passage("This account page lets you delete your account.", "delete.html")
    assert not eligible(asked, Candidate(step.text, step.heading, step))
    assert eligible(asked, Candidate(faq.text, faq.heading, faq))
    assert eligible(asked, Candidate(statement.text, "", statement))  # "this" names its noun


def test_a_list_item_under_a_name_is_said_with_that_name() -> None:
    """"which plan lets us put our logo on?": the item alone ("Brand Zulip with your logo.") does not
    say which plan; the heading it is listed under does. A long lead-in is no name and is left out."""
    feature = Passage("Brand Zulip with your logo", "pricing.html", heading="Standard", kind=UnitKind.LIST)
    assert candidates(feature)[0].spoken == "Standard: Brand Zulip with your logo."
    step = Passage("Click Cancel plan at the bottom of the page", "billing.html",
                   heading="To cancel your paid plan", kind=UnitKind.LIST)
    assert candidates(step)[0].spoken == "Click Cancel plan at the bottom of the page."
    asked = Passage("Schools and universities with a teaching plan", "pricing.html", heading="Who can apply?",
                    kind=UnitKind.LIST)
    assert candidates(asked)[0].spoken == "Schools and universities with a teaching plan."
