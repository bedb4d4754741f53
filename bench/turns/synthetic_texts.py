"""The synthetic voices' texts: whole questions, and sentences with a hesitation point (the pause
goes between the two parts), of the kind issue #13 names ("my order number is ... uh ... 4 5 2")."""

from __future__ import annotations

COMPLETE = [
    "How much does the Barista One cost?",
    "What are your opening hours on Saturday?",
    "Can I bring my dog to Yellowstone?",
    "How do I reset my password?",
    "I'd like to return the kettle I bought last week.",
    "My order number is 4 5 2 7.",
    "Do you deliver to Ireland?",
    "Thank you, that's all.",
]
HESITATIONS: list[tuple[str, str]] = [
    ("My order number is, uh,", "4 5 2 7."),
    ("I'd like to return", "the Brewmate 200 I bought last week."),
    ("Can I bring my dog", "to Yellowstone?"),
    ("So the machine shows, um,", "error E4."),
    ("How much is the", "Bean Club subscription?"),
    ("I need to change my, uh,", "delivery address."),
    ("My postcode is", "L E 1, 6 E J."),
    ("Is the warranty, er,", "two years or three?"),
    ("I was wondering if", "you are open on Sunday."),
    ("The phone number I have is 0800,", "555, 0142."),
    ("What do I need to bring", "to the airport security check?"),
    ("I have a question about", "the Barista One,"),
    ("I'd like to, um,", "change my order."),
    ("Could you tell me, uh,", "when the shop closes today?"),
    ("I'm calling about", "the invoice from March."),
    ("Can you put me through to", "someone in billing?"),
    ("My name is, er,", "Alex Morgan."),
    ("I bought a", "coffee grinder last month and it stopped working."),
]
