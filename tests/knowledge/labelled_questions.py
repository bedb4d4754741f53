"""Caller questions about the sample knowledge base, worded unlike its documents, and the answering file."""

RETURNS = "returns-and-refunds.md"
WARRANTY = "warranty.txt"
CONTACT = "contact-and-opening-hours.html"
PRODUCTS = "products-and-prices.md"
TROUBLE = "troubleshooting.txt"
FAQ = "faq.csv"

LABELLED_QUESTIONS: list[tuple[str, str]] = [
    ("I changed my mind about the espresso maker, can I still send it back after three weeks?", RETURNS),
    ("how long before the money shows up on my card after you get the parcel", RETURNS),
    ("the box came smashed and the machine won't turn on, what now", RETURNS),
    ("do I have to pay postage to send something back", RETURNS),
    ("can I give back a bag of coffee I already opened", RETURNS),
    ("is there a fee for restocking when I return an item", RETURNS),
    ("how many years is my coffee machine guaranteed for", WARRANTY),
    ("where do I find the serial number on the machine", WARRANTY),
    ("my machine broke, will you pick it up for repair and how long does fixing take", WARRANTY),
    ("is damage from not cleaning out limescale covered", WARRANTY),
    ("how much is the CarePlan for an espresso machine", WARRANTY),
    ("what number do I ring to speak to someone", CONTACT),
    ("are you open on Sundays", CONTACT),
    ("what time do your phone lines close on a weekday", CONTACT),
    ("what's the address of the shop where I can try the machines", CONTACT),
    ("how do I make a formal complaint", CONTACT),
    ("I'm phoning from Spain, which number should I use", CONTACT),
    ("how much does the bean to cup machine cost", PRODUCTS),
    ("what colours does the Barista One come in", PRODUCTS),
    ("how many cups can the filter coffee maker make", PRODUCTS),
    ("what temperatures can the glass kettle heat water to", PRODUCTS),
    ("what does the monthly coffee subscription cost", PRODUCTS),
    ("can I get money off if I hand in my old coffee maker", PRODUCTS),
    ("the screen is showing E7, what's wrong", TROUBLE),
    ("my milk won't foam properly", TROUBLE),
    ("how do I descale the Barista One", TROUBLE),
    ("the kettle turns itself off before boiling", TROUBLE),
    ("how do I restore the machine to factory settings", TROUBLE),
    ("my espresso comes out lukewarm", TROUBLE),
    ("how much is shipping and how fast is it", FAQ),
    ("do you send orders to America", FAQ),
    ("can I pay in instalments", FAQ),
    ("is there a discount for university students", FAQ),
    ("can I put the milk jug in the dishwasher", FAQ),
    ("I found the same machine cheaper somewhere else", FAQ),
    ("how do I get you to erase my personal information", FAQ),
    ("how often do I swap the water filter cartridge", FAQ),
    ("can I cancel my order after placing it", FAQ),
]
