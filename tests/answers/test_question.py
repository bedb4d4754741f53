"""What a question asks for, and short follow-ups made whole with the previous question."""

from __future__ import annotations

import pytest

from earpiece.core.answers.evidence import AnswerType, counts, has_evidence, states_clock_time
from earpiece.core.answers.lead_in import without_lead_in
from earpiece.core.answers.model import FEATURES
from earpiece.core.answers.question import (
    analyse,
    answer_type,
    is_follow_up,
    question_clause,
    resolve_follow_up,
)
from earpiece.core.answers.selector import Selector, has_answer_shape
from earpiece.core.answers.units import Candidate
from earpiece.core.answers.words import content_words, stem
from earpiece.core.interfaces import Passage


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how much is the Barista One?", AnswerType.PRICE),
        ("what does a weekly pass cost", AnswerType.PRICE),
        ("how much memory do I get in a sandbox?", AnswerType.NUMBER),
        ("when are you open on Sunday?", AnswerType.TIME),
        ("what time do the phone lines close", AnswerType.TIME),
        ("where is your showroom", AnswerType.PLACE),
        ("how long does a refund take", AnswerType.DURATION),
        ("what number do I ring for a repair", AnswerType.PHONE),
        ("what's the lost and found number at the Austin airport?", AnswerType.PHONE),
        ("is there a number for the repair desk?", AnswerType.PHONE),
        ("what's my booking number?", AnswerType.OTHER),
        ("what's your e-mail address", AnswerType.EMAIL),
        ("are dogs allowed in the campground", AnswerType.POLICY),
        ("can I pay in instalments", AnswerType.POLICY),
        ("how do I descale the machine", AnswerType.OTHER),
        ("how do agencies pay for it?", AnswerType.OTHER),
        ("after the wait, should I just make a brand new account?", AnswerType.POLICY),
        ("can we pay for the plan with a credit card?", AnswerType.POLICY),
        ("how much do I pay for a car?", AnswerType.PRICE),
        ("are you going to limit free history to 90 days?", AnswerType.POLICY),
        ("what is the upload limit?", AnswerType.NUMBER),
        ("How on do I have to return a product for a refund?", AnswerType.MEASURE),  # "how long", misheard
        ("how to do a factory reset?", AnswerType.OTHER),
        ("if I cancel my paid plan, what happens to my organization?", AnswerType.CONSEQUENCE),
        ("what if the metal detector goes off?", AnswerType.CONSEQUENCE),
        ("what happens to the money that is not used?", AnswerType.OTHER),  # no condition asked
        ("what about if I come on my motorcycle?", AnswerType.OTHER),  # a follow-up's opening
        ("is the South Rim open in the winter?", AnswerType.TIME),
        ("are you open all year?", AnswerType.TIME),
    ],
)
def test_the_answer_type_follows_the_question(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        # "at no extra charge", "free of charge", "the fee" only qualify what the lead asks for.
        ("how many guest accounts do we get at no extra charge?", AnswerType.NUMBER),
        ("how many seats are free of charge?", AnswerType.NUMBER),
        ("when is the late fee charged?", AnswerType.TIME),
        ("what time do I have to pay the fee by?", AnswerType.TIME),
        ("where do I pay the parking fee?", AnswerType.PLACE),
    ],
)
def test_the_question_lead_decides_over_later_words(question: str, kind: AnswerType) -> None:
    assert answer_type(question) is kind


def test_evidence_of_each_type_is_a_fact_of_that_shape() -> None:
    assert has_evidence(AnswerType.PRICE, "It costs £349.")
    assert not has_evidence(AnswerType.PRICE, "Prices vary, see the price list.")
    assert has_evidence(AnswerType.TIME, "Sunday and bank holidays: closed.")
    assert has_evidence(AnswerType.DURATION, "Refunds take 5 working days.")
    assert not has_evidence(AnswerType.DURATION, "Refunds go to the original card.")
    assert has_evidence(AnswerType.PHONE, "Call 0800 555 0142.")
    assert has_evidence(AnswerType.EMAIL, "Write to help@example.org.")
    assert has_evidence(AnswerType.OTHER, "Anything at all.")


def test_an_exception_states_a_rule() -> None:
    # "Does the bus go up the mountain?": the page says where it does not go.
    assert has_evidence(AnswerType.POLICY, "The shuttle serves most of the park except the summit.")
    assert has_evidence(AnswerType.POLICY, "Refunds are given unless the seal is broken.")
    assert not has_evidence(AnswerType.POLICY, "The shuttle serves most of the park and the towns around it.")


@pytest.mark.parametrize(
    ("said", "question"),
    [
        ("Sorry to interrupt, when are you open on Saturday?", "when are you open on Saturday?"),
        ("hi, um, how much does it cost to get into Yellowstone with a car?",
         "how much does it cost to get into Yellowstone with a car?"),
        ("Hi there, sorry to bother you. Quick question: where is your showroom?", "where is your showroom?"),
        ("um I was wondering when you open", "when you open"),
        ("Okay, thanks. Could you tell me how long a refund takes?", "how long a refund takes?"),
        # A frame ending in "if" wraps a yes or no: it is put back in question order.
        ("I was wondering if I could bring my dog", "could I bring my dog"),
        ("do you know whether there is a fee?", "is there a fee?"),
        ("Sorry, and on Saturdays?", "and on Saturdays?"),
        # What is not a pleasantry stays: a clause with content, an ordinary word without a pause,
        # a whole phrase only, and a text that is nothing but pleasantries.
        ("I lost my phone, how do I sign in now?", "I lost my phone, how do I sign in now?"),
        ("after the wait, should I just make a brand new account?",
         "after the wait, should I just make a brand new account?"),
        ("well water is it safe to drink?", "well water is it safe to drink?"),
        ("Okay to bring dogs?", "Okay to bring dogs?"),
        ("hi-fi speakers, do you sell them?", "hi-fi speakers, do you sell them?"),
        ("yes please", "yes please"),
    ],
)
def test_the_pleasantries_before_a_question_are_dropped(said: str, question: str) -> None:
    assert without_lead_in(said) == question


def test_a_question_after_pleasantries_is_read_like_the_question_alone() -> None:
    bare = analyse("when are you open on Saturday?")
    polite = analyse("Sorry to interrupt, when are you open on Saturday?")
    assert polite.focus == bare.focus and polite.answer_type is bare.answer_type is AnswerType.TIME
    assert polite.clock and not {"sorry", "interrupt"} & polite.focus
    assert answer_type("um, I was wondering if I could bring my dog") is AnswerType.POLICY


@pytest.mark.parametrize(
    ("said", "previous", "whole"),
    [
        ("and on Saturdays?", "When are you open on Sunday?", "when are you open on saturdays"),
        ("what about Bangor?", "What's the lost and found number at the Austin airport?",
         "what's the lost and found number at the bangor airport"),
        ("how much is it?", "Do you sell the Barista One?", "how much is it do you sell the barista one"),
        ("what about for children?", "How much is a ticket?", "how much is a ticket for children"),
        ("and can I use each one more than once?", "How many backup codes do I get?",
         "can i use each one more than once backup codes"),
    ],
)
def test_a_follow_up_is_made_whole_with_the_previous_question(said: str, previous: str, whole: str) -> None:
    assert is_follow_up(said)
    assert resolve_follow_up(said, previous) == whole


def test_a_follow_up_that_opens_as_one_may_say_more() -> None:
    said = "and how many points do I need on the moving around bit?"
    assert is_follow_up(said)
    assert "blue badge" in resolve_follow_up(said, "How do I get a Blue Badge if I'm on PIP?")
    assert not is_follow_up("how many points do I need on the moving around bit of the PIP assessment?")


def test_the_kind_of_answer_is_read_from_the_question_after_the_callers_story() -> None:
    story = ("I'm trying to sign up for a plan and the website keeps confusing me. "
             "is there a number I can call to talk to a person?")
    assert question_clause(story) == "is there a number I can call to talk to a person?"
    assert answer_type(story) is AnswerType.WEBSITE  # the story's "website", read as the whole
    assert analyse(story).answer_type is AnswerType.POLICY
    assert "plan" in analyse(story).focus  # what it is about still comes from all of it
    priced = "so what happens if I just don't bother getting insurance? how much do they charge me?"
    assert analyse(priced).answer_type is AnswerType.PRICE
    alone = "how much is the Barista One?"
    assert question_clause(alone) == alone and analyse(alone).answer_type is AnswerType.PRICE


def test_a_question_that_stands_alone_is_left_as_it_is() -> None:
    question = "How much does standard delivery cost to Ireland?"
    assert not is_follow_up(question)
    assert resolve_follow_up(question, "When are you open on Sunday?") == question
    assert resolve_follow_up("and on Saturdays?", "") == "and on Saturdays?"


def test_how_many_is_answered_by_a_count_of_what_was_asked() -> None:
    asked = analyse("how many backup codes do I get?")
    assert asked.answer_type is AnswerType.NUMBER and asked.counted == {"backup", "code"}
    assert counts("Login.gov will generate a set of ten codes.", asked.counted)
    assert not counts("Backup codes are the least secure option for two-factor sign-in.", asked.counted)
    times = analyse("how many times can I try before it locks me out?").counted
    assert not counts("You'll need to wait six hours before you can try again.", times)
    assert not counts("You entered your code too many times. Please wait 10 minutes and try again.", times)
    assert counts("You can try 5 times, then wait 10 minutes.", times)
    assert counts("Refunds take 5 days.", analyse("how many days does a refund take?").counted)
    assert not has_evidence(AnswerType.NUMBER, "Backup codes are an accessible option.")


def test_how_much_of_something_is_answered_by_a_figure_of_that_thing() -> None:
    storage = analyse("how much file storage do we get on the free plan?")
    assert storage.answer_type is AnswerType.NUMBER and storage.counted == content_words("file storage")
    assert counts("File storage up to 5 GB total.", storage.counted)
    assert not counts("Only the latest 10,000 messages can be searched on the free plan.", storage.counted)
    assert not analyse("how much is it?").counted


def test_one_as_a_pronoun_is_not_a_count() -> None:
    organisations = analyse("how many organizations do you sponsor?").counted
    assert not counts("Your organization must be one of the eligible organization types.", organisations)
    assert not has_evidence(AnswerType.NUMBER, "Pick one of the eligible types.")
    assert counts("We sponsor one organization per project.", organisations)


def test_when_is_answered_by_a_moment_fixed_by_an_event_and_where_by_a_web_address() -> None:
    assert has_evidence(AnswerType.TIME, "You are downgraded at the end of the current billing period.")
    assert not has_evidence(AnswerType.TIME, "Your organization will be downgraded to the free plan.")
    assert has_evidence(AnswerType.PLACE, "We publish availability at https://status.example.org.")


def test_what_time_or_which_hours_is_not_answered_by_an_interval() -> None:
    assert analyse("what are the post office opening hours?").clock
    assert not analyse("when do I get my result?").clock
    assert not states_clock_time("You'll get an email within 24 hours of visiting a Post Office.")
    assert states_clock_time("The South Rim is open 24 hours a day, 365 days a year.")
    assert states_clock_time("Sunday and bank holidays: closed.")
    assert not states_clock_time("Several entrances are closed to regular vehicles since 2019.")


def test_free_or_a_discount_says_whether_one_pays_but_not_how_much() -> None:
    assert has_evidence(AnswerType.PRICE, "Non-profits are generally eligible for a discount.")
    said = "Open-source projects are eligible for a free Standard plan."
    free = Candidate(said, "", Passage(said, "billing.md"))
    checked = FEATURES.index("type_checked")
    whether = Selector.features(analyse("do we have to pay for the Standard plan?"), free, 0.7, 0.0)
    how_much = Selector.features(analyse("how much is the Standard plan?"), free, 0.7, 0.0)
    assert (whether[checked], how_much[checked]) == (1.0, 0.0)
    # a yes or no about the cost asks whether, whatever cost word it holds
    for asked in ("I lost my card. does it cost anything to get a new one?",
                  "a website wants forty dollars for it. is that what it costs?"):
        assert analyse(asked).answer_type is AnswerType.PRICE and not analyse(asked).amount
        assert Selector.features(analyse(asked), free, 0.7, 0.0)[checked] == 1.0
    assert analyse("what does it cost?").amount and analyse("so how much does it cost?").amount


def test_what_time_is_answered_by_a_time_of_day_not_a_season() -> None:
    asked = analyse("what time does the general store close in the evening?")
    assert not has_answer_shape(asked, "The general store is open from May 15th through October 15th.")
    assert has_answer_shape(asked, "The general store is open 8 a.m. to 6 p.m.")
    assert has_answer_shape(analyse("when is the general store open?"), "Open May 15th through October 15th.")


def test_a_mailing_address_is_a_street_or_post_box_not_an_email_address() -> None:
    asked = analyse("what's the mailing address of your office?")
    assert not has_answer_shape(asked, "Report it to our security team at security@example.com.")
    assert has_answer_shape(asked, "Write to PO Box 168, Yellowstone National Park, WY 82190.")


def test_postal_mail_and_email_are_different_channels() -> None:
    # "how long does it take to verify my identity by mail?" is not answered by an e-mail's timing.
    by_post = content_words("how long does it take to verify my identity by mail?")
    assert not by_post & content_words("You'll get an email within 24 hours of visiting a Post Office.")
    assert content_words("an e-mail") == content_words("an email") == content_words("emails") == {"email"}


def test_open_is_about_hours_only_when_nothing_is_opened_and_log_is_signing_in_only_in_log_in() -> None:
    hours = content_words("what are your opening hours?")
    assert content_words("when are you open on Sunday?") & hours
    assert not content_words("how do I open an account?") & hours
    assert not content_words("we're an open source project") & hours
    assert content_words("I can't log in") == content_words("I can't sign in")
    assert not content_words("where is my call log?") & content_words("sign in")


def test_a_word_and_its_inflections_share_a_stem() -> None:
    assert stem("deleted") == stem("delete") and stem("closes") == stem("close")
    assert stem("free") == "free" and content_words("cars") == content_words("vehicle")


def test_what_happens_if_is_answered_by_a_consequence_of_that_condition() -> None:
    asked = analyse("what if the metal detector goes off when I walk through with my service dog?")
    kind = FEATURES.index("type_policy"), FEATURES.index("type_missing")
    said = (
        "If the metal detector alarms, you will undergo additional screening, including a pat-down.",
        "You and your service dog will be screened by a walk-through metal detector.",
    )
    consequence, neighbour = (
        Selector.features(asked, Candidate(s, "", Passage(s, "tsa.md")), 0.7, 0.0) for s in said
    )
    assert ([consequence[i] for i in kind], [neighbour[i] for i in kind]) == ([1.0, 0.0], [0.0, 1.0])


def test_open_in_a_season_is_answered_by_when_not_by_any_rule() -> None:
    asked = analyse("is the South Rim open in the winter?")
    assert has_answer_shape(asked, "The South Rim: Open All Year, all services are available year round.")
    assert not has_answer_shape(asked, "Some facilities close during the winter.")


def test_closed_class_words_are_no_focus_terms() -> None:
    # "only" matched "Login only accepts a driver's license" for a question about where.
    asked = analyse("is the in-person check only in some states, or everywhere?")
    assert asked.focus == {"check", "person", "stat"}
    assert content_words("after the wait, should I just make a brand new account?") == {
        "wait", "brand", "new", "account"
    }


def test_words_that_say_what_kind_of_fact_is_asked_are_no_focus_terms() -> None:
    # "If you cancel your plan, your organization will be downgraded" says no "happen"; "within 3
    # business hours" no "fast": as focus terms they counted against the right answer.
    assert analyse("if I cancel my paid plan, what happens to my organization?").focus == {
        "cancel", "paid", "plan", "organization"
    }
    assert analyse("how fast will you reply?").focus == {"reply"}
    assert analyse("what time does the store close?").focus == {"stor", "clos"}
    assert analyse("how old do I have to be to open an account?").focus == {"open", "account"}


def test_how_a_caller_tells_their_story_is_no_focus_term() -> None:
    # "went" and "yesterday" held by no unit weighed most and sank "You'll get an email within 24
    # hours of visiting a Post Office"; "goes" and "whole" the outage answer.
    assert content_words("I went to the post office yesterday, when do I get my result?") == {
        "post", "offic", "result"
    }
    assert content_words("if the whole platform goes down") == {"platform", "down"}


def test_a_question_of_nothing_but_what_it_asks_for_has_no_focus_terms() -> None:
    asked = analyse("what time?")
    assert asked.answer_type is AnswerType.TIME and asked.focus == frozenset()
    assert content_words("") == set() and content_words("log in") == {"sign"}
