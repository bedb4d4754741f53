"""Text normalised for speech: what the caller hears carries the same fact as the text.

One test per kind of token, so that removing the rule for that kind fails its own test.
"""

from __future__ import annotations

import pytest

from earpiece.core.tts import normalize_for_speech, strip_markdown

Cases = list[tuple[str, str]]

PHONE_NUMBERS: Cases = [
    ("Call 800-371-5465 now.", "Call eight zero zero, three seven one, five four six five now."),
    ("Call (202) 555-0143.", "Call two zero two, five five, five, zero one four three."),
    ("Call +1 202 555 0143.", "Call plus one, two zero two, five five, five, zero one four three."),
    ("Call 1 202 555 0143.", "Call one, two zero two, five five, five, zero one four three."),
    (
        "Call +1 (555) 123-4567 now.",
        "Call plus one, five five, five, one two three, four five six seven now.",
    ),
    ("Call 202.555.0143.", "Call two zero two, five five, five, zero one four three."),
    ("Call 1-800-FLOWERS.", "Call one, eight zero zero, FLOWERS."),
    ("Call 800-371-LINK (5465).", "Call eight zero zero, three seven one, LINK (five four six five)."),
    ("Call 0800 123 4567.", "Call zero eight, zero zero, one two three, four five six seven."),
    (
        "Call +44 (0)20 7946 0958.",
        "Call plus four four, two zero, seven nine four six, zero nine five eight.",
    ),
]
EXTENSIONS: Cases = [
    (
        "Call 0800 123 4567, ext. 204.",
        "Call zero eight, zero zero, one two three, four five six seven, extension two zero four.",
    ),
    ("Dial 555-0143 x12.", "Dial five five, five, zero one four three extension one two."),
    ("Ask for extension 3021.", "Ask for extension three zero two one."),
]
KEYPAD_KEYS: Cases = [
    ("Press * then 1.", "Press star then one."),
    ("Press *9 to repeat, or # to finish.", "Press star nine to repeat, or hash to finish."),
    ("Enter your PIN followed by #.", "Enter your PIN followed by hash."),
    ("Enter 1234# now.", "Enter one two three four hash now."),
    ("Press 1, 2 or 3.", "Press one, two or three."),
    ("Press 0 for an agent.", "Press zero for an agent."),
    ("Dial 911 or call 311.", "Dial nine one one or call three one one."),
    ("Dial *67 first.", "Dial star six seven first."),
    ("Use *67 to hide your number.", "Use star six seven to hide your number."),
    ("The * key repeats the menu.", "The star key repeats the menu."),
]
IDENTIFIERS: Cases = [
    ("The default PIN of 0000 works.", "The default PIN of zero zero, zero zero works."),
    ("Your PIN is 4821.", "Your PIN is four eight two one."),
    ("Use access code 2580.", "Use access code two five eight zero."),
    (
        "Your order #123456789 shipped.",
        "Your order number one two three, four five six, seven eight nine shipped.",
    ),
    ("Order number A1234-B56 is ready.", "Order number A one two three four, B five six is ready."),
    ("Your reference is XK9-42Q.", "Your reference is X K nine, four two Q."),
    ("Account 00123456 is open.", "Account zero zero, one two, three four five six is open."),
    ("Card ending in 4242.", "Card ending in four two four two."),
    ("Our ZIP code is 10001.", "Our ZIP code is one zero zero, zero one."),
    ("Send it to Springfield, IL 62704.", "Send it to Springfield, IL six two seven zero four."),
    ("Visit us at 14 Granby Street, LE1 6EJ.", "Visit us at fourteen Granby Street, L E one, six E J."),
    ("Your order 1234567 shipped.", "Your order one two three, four five six seven shipped."),
    ("No. 12345 is yours.", "number one two three four five is yours."),
    ("Your confirmation number is ABC123.", "Your confirmation number is A B C one two three."),
    ("Flight BA2490 leaves at noon.", "Flight B A two four nine zero leaves at noon."),
    ("The default is 0000.", "The default is zero zero, zero zero."),
    ("Quote 48213579 when you write.", "Quote four eight two one, three five seven nine when you write."),
]
NUMBERS_THAT_STAY_NUMBERS: Cases = [
    ("We have 42 agents.", "We have forty-two agents."),
    ("It took 1,234 calls.", "It took one thousand two hundred and thirty-four calls."),
    ("Pi is 3.14.", "Pi is three point one four."),
    ("Ticket #42 is open.", "Ticket number forty-two is open."),
    ("An order of 12 items.", "An order of twelve items."),
    ("Enter 10 digits.", "Enter ten digits."),
    ("Over 100000 users.", "Over one hundred thousand users."),
    ("Apartment 3B.", "Apartment three B."),
    ("Version 2.3.1 is out.", "Version two point three point one is out."),
    ("Sizes 10 12 14 16 in stock.", "Sizes ten twelve fourteen sixteen in stock."),
]
PRICES: Cases = [
    ("It costs $35.", "It costs thirty-five dollars."),
    (
        "It costs $35, or $1,299.99 for the pro.",
        "It costs thirty-five dollars, or one thousand two hundred and ninety-nine dollars and "
        "ninety-nine cents for the pro.",
    ),
    ("The fee is $12.50.", "The fee is twelve dollars and fifty cents."),
    ("Refunds over $1,200 need approval.", "Refunds over one thousand two hundred dollars need approval."),
    ("It costs €5 or £4.50.", "It costs five euros or four pounds and fifty pence."),
    ("Only $1 today, or $0.99 tomorrow.", "Only one dollar today, or ninety-nine cents tomorrow."),
    ("A $1.5 million budget.", "A one point five million dollars budget."),
    ("That is 35 USD, or USD 40.", "That is thirty-five dollars, or forty dollars."),
    ("Tours are $5 per person.", "Tours are five dollars per person."),
    ("Parking is $2/hour or $30/mo.", "Parking is two dollars per hour or thirty dollars per month."),
    ("A stamp is 75¢.", "A stamp is seventy-five cents."),
]
TIMES: Cases = [
    ("We open at 9:30.", "We open at nine thirty."),
    ("We open at 9:30 am.", "We open at nine thirty a.m."),
    ("Come at 9:05 a.m.", "Come at nine oh five a.m."),
    ("Closed from 17:00.", "Closed from five p.m."),
    ("Hours: 09:00–17:30.", "Hours: nine a.m. to five thirty p.m."),
    ("Open 9am-5pm, or 9.30am on Sundays.", "Open nine a.m. to five p.m., or nine thirty a.m. on Sundays."),
    ("It is 12:00.", "It is twelve o'clock."),
    ("Until 00:00 or noon.", "Until midnight or noon."),
    ("Support is 24/7.", "Support is twenty-four seven."),
]
DATES: Cases = [
    ("Due on 2024-05-01.", "Due on May first, twenty twenty-four."),
    ("Closed Dec 25.", "Closed December twenty-fifth."),
    ("Closed Dec. 25, 2026.", "Closed December twenty-fifth, twenty twenty-six."),
    ("Due 12/25/2026.", "Due December twenty-fifth, twenty twenty-six."),  # month first (US)
    ("Due 25/12/2026.", "Due December twenty-fifth, twenty twenty-six."),  # 25 cannot be a month
    ("Due 03.04.2026.", "Due April third, twenty twenty-six."),  # dots: day first
    ("From 5 June.", "From the fifth of June."),
    ("Until March 2027.", "Until March twenty twenty-seven."),
]
YEARS: Cases = [
    ("Founded in 1998, renewed in 2024.", "Founded in nineteen ninety-eight, renewed in twenty twenty-four."),
    ("Since the 1990s.", "Since the nineteen nineties."),
]
PERCENTAGES: Cases = [
    ("Save 15% now.", "Save fifteen percent now."),
    ("Rates rose 2.5%!", "Rates rose two point five percent!"),
    ("Up to 1,500% more.", "Up to one thousand five hundred percent more."),  # once an error, no speech
]
ORDINALS: Cases = [
    ("This is the 22nd time.", "This is the twenty-second time."),
    ("The 3rd floor.", "The third floor."),
]
RANGES: Cases = [
    ("Delivery takes 3-5 days.", "Delivery takes three to five days."),
    ("Open 9–5, Mon–Fri.", "Open nine to five, Monday to Friday."),
    ("Open Mon.–Fri. and Monday-Friday.", "Open Monday to Friday and Monday to Friday."),
    ("Save 10-20% now.", "Save ten to twenty percent now."),
    ("Tickets cost £12 – £20.", "Tickets cost twelve pounds to twenty pounds."),
    ("Open Sat 10-2.", "Open Saturday ten to two."),
]
UNITS: Cases = [
    ("It weighs 5 kg and is 1 ft long.", "It weighs five kilograms and is one foot long."),
    (
        "You get 10GB at 50 Mbps for 24h.",
        "You get ten gigabytes at fifty megabits per second for twenty-four hours.",
    ),
    ("It is 25°C outside.", "It is twenty-five degrees Celsius outside."),
]
ADDRESSES: Cases = [
    ("Write to help@acme.com.", "Write to help at acme dot com."),
    ("Mail john.smith42@acme.co.uk today", "Mail john dot smith four two at acme dot co dot uk today"),
    ("Use billing_team-2@x.org", "Use billing underscore team dash two at x dot org"),
    ("Visit example.com/help.", "Visit example dot com slash help."),
    ("See https://www.example.org/returns-policy?id=3.", "See example dot org slash returns dash policy."),
    ("Go to www.acme.co.uk today.", "Go to acme dot co dot uk today."),
    (
        "Register at larkspur-appliances.example/register.",
        "Register at larkspur dash appliances dot example slash register.",
    ),
    ("Log in at https://portal.acme.xyz/login.", "Log in at portal dot acme dot xyz slash login."),
]
MARKUP_AND_SYMBOLS: Cases = [
    ("**Important**: read *this* and `that`.", "Important: read this and that."),
    ("See [our policy](https://acme.com/refunds) for more.", "See our policy for more."),
    ("Great news 🎉👍🏽 for you!", "Great news for you!"),
    ("Tom & Jerry", "Tom and Jerry"),
    ("Seniors (65+) go free.", "Seniors (sixty-five plus) go free."),
    ("Bring ID, e.g. a passport, etc.", "Bring ID, for example a passport, et cetera"),
    ("# Refunds\n- Card: 2 days\n- Cash: 5 days", "Refunds. Card: two days. Cash: five days."),
    ("| Plan | Price |\n|---|---|\n| Basic | $5 |", "Plan, Price. Basic, five dollars."),
    ("Plain words stay as they are.", "Plain words stay as they are."),
]
CLASSES = {
    "phone": PHONE_NUMBERS,
    "extension": EXTENSIONS,
    "keypad": KEYPAD_KEYS,
    "identifier": IDENTIFIERS,
    "number": NUMBERS_THAT_STAY_NUMBERS,
    "price": PRICES,
    "time": TIMES,
    "date": DATES,
    "year": YEARS,
    "percent": PERCENTAGES,
    "ordinal": ORDINALS,
    "range": RANGES,
    "unit": UNITS,
    "address": ADDRESSES,
    "markup": MARKUP_AND_SYMBOLS,
}
ALL = [(kind, text, spoken) for kind, cases in CLASSES.items() for text, spoken in cases]


def _params(cases: Cases) -> pytest.MarkDecorator:
    return pytest.mark.parametrize(("text", "spoken"), cases, ids=[c[0][:40] for c in cases])


@_params(PHONE_NUMBERS)
def test_phone_numbers_are_read_group_by_group_digit_by_digit(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(EXTENSIONS)
def test_extensions_are_read_digit_by_digit(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(KEYPAD_KEYS)
def test_keypad_keys_are_star_hash_and_single_digits(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(IDENTIFIERS)
def test_pins_codes_and_reference_numbers_are_read_digit_by_digit(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(NUMBERS_THAT_STAY_NUMBERS)
def test_quantities_stay_numbers(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(PRICES)
def test_prices_are_read_as_people_say_them(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(TIMES)
def test_times_are_read_on_the_twelve_hour_clock(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(DATES)
def test_dates_are_read_month_and_ordinal_day(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(YEARS)
def test_years_and_decades(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(PERCENTAGES)
def test_percentages(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(ORDINALS)
def test_ordinals(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(RANGES)
def test_ranges_are_read_with_to(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(UNITS)
def test_units_are_spelled_out(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(ADDRESSES)
def test_email_and_web_addresses_can_be_written_down(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


@_params(MARKUP_AND_SYMBOLS)
def test_markup_emoji_and_symbols(text: str, spoken: str) -> None:
    assert normalize_for_speech(text) == spoken


def test_normalising_twice_changes_nothing() -> None:
    for _kind, text, spoken in ALL:
        assert normalize_for_speech(spoken) == spoken, text


def test_strip_markdown_keeps_single_lines_and_keypad_stars() -> None:
    assert strip_markdown("Just one line") == "Just one line"
    assert strip_markdown("```\ncode here\n```") == "code here"
    assert strip_markdown("Press *9 to repeat or *0 for help.") == "Press *9 to repeat or *0 for help."
