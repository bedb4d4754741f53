"""Words of questions and passages, reduced to comparable content terms."""

from __future__ import annotations

import re
from itertools import zip_longest

STOPWORDS = frozenset(
    (
        "a", "an", "the", "and", "or", "but", "if", "of", "to", "in", "on", "at", "for", "from", "by",
        "with", "about", "as", "into", "is", "are", "was", "were", "be", "been", "being", "do", "does",
        "did", "have", "has", "had", "i", "you", "he", "she", "it", "we", "they", "me", "my", "your",
        "our", "their", "this", "that", "these", "those", "what", "which", "who", "whom", "whose", "when",
        "where", "why", "how", "can", "could", "would", "should", "will", "shall", "may", "might", "must",
        "there", "here", "than", "then", "so", "not", "no", "yes", "please", "tell", "know", "want",
        "like", "get", "any", "some", "just", "also", "too", "very", "im", "i'm", "id", "i'd", "ive",
        "hi", "hello", "um", "uh", "er", "okay", "ok", "well", "actually", "need", "wondering", "s",
        "let", "us", "am", "much", "many", "long", "its", "it's", "there's", "thats", "that's", "anyone",
        "something", "anything", "thing", "things", "one", "ones", "them", "him", "her", "his", "hers",
        "out", "up", "does", "doing", "go", "going", "got", "make", "way", "really", "still", "all",
        "what's", "where's", "who's", "how's", "when's", "we're", "you're", "they're", "we've", "you've",
        "i'll", "we'll",
        # Closed-class words (prepositions, adverbs, quantifiers): they say how, not what about. As
        # focus terms they matched the wrong sentence ("only in some states?": "Login only accepts")
        # and diluted the real ones ("after the wait, should I just make a new account?").
        "after", "before", "during", "until", "through", "off", "over", "under", "again", "now", "only",
        "own", "instead", "each", "every", "other", "another", "such", "same", "both", "more", "most",
        "less", "even", "ever", "everywhere", "anywhere", "somewhere", "someone", "everyone", "everything",
        # Light verbs, time deixis, frequency and degree adverbs: how a caller tells their story, not
        # what it is about ("I went to the post office yesterday, when do I get my result?"; "if the
        # whole platform goes down...").
        "went", "goes", "gone", "come", "comes", "came", "gets", "getting", "made", "makes", "let", "lets",
        "put", "puts", "yesterday", "recently", "already", "yet", "usually", "normally", "generally",
        "typically", "currently", "whole", "entire",
    )
)
# Words callers use for what pages name otherwise: compared as one term. Only true synonyms in a
# support context: "mail" (a letter, by post) is not "email", a different channel.
SYNONYMS = {
    "car": "vehicle", "cars": "vehicle", "automobile": "vehicle", "van": "vehicle", "truck": "vehicle",
    "dog": "pet", "dogs": "pet", "cat": "pet", "cats": "pet", "pets": "pet",
    "motorbike": "motorcycle", "bike": "bicycle", "kid": "child", "kids": "child", "children": "child",
    "telephone": "phone", "ring": "call", "cost": "price", "costs": "price", "fee": "price",
    "fees": "price", "charge": "price", "charges": "price", "pricing": "price", "prices": "price",
    "website": "site", "web": "site",
    "login": "sign", "log": "sign", "signin": "sign",
    "id": "identity", "identification": "identity", "open": "hour", "opening": "hour", "hours": "hour",
    "staff": "employee", "employees": "employee", "team": "employee", "cheap": "price", "cheaper": "price",
}
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")


def stem(word: str) -> str:
    """Crude, but consistent: "machines"/"machine", "refunded"/"refund", "costs"/"cost",
    "deleted"/"delete" (a final "e" goes from longer words, but not from "free" or "fee")."""
    for suffix in ("ies", "ing", "ed", "s"):
        if word.endswith(suffix) and not word.endswith("ss") and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + ("y" if suffix == "ies" else "")
            break
    return word[:-1] if len(word) >= 5 and word.endswith("e") and not word.endswith("ee") else word


_E_MAIL = re.compile(r"\be-mail")


def tokens(text: str) -> list[str]:
    """Lower-case words; "e-mail" is one word, "email" (not "e" and "mail")."""
    return _WORD.findall(_E_MAIL.sub("email", text.lower().replace("’", "'")))


# "open" is about opening hours ("are you open on Sunday?") unless it opens something or names a
# kind of thing ("open an account", "opening the app", "open source"); "log" is signing in only in
# "log in", "log on", "log out" (not in "call log").
_OPENED = frozenset(("a", "an", "the", "my", "your", "our", "their", "this", "that", "source"))
_SIGNING = frozenset(("in", "into", "on", "onto", "out", "off", "back"))


def _term(word: str, following: str) -> str:
    opens_something = word in ("open", "opening") and following in _OPENED
    if opens_something or (word == "log" and following not in _SIGNING):
        return word
    return SYNONYMS.get(word, word)


def content_words(text: str) -> set[str]:
    words = tokens(text)
    pairs = zip_longest(words, words[1:], fillvalue="")  # each word with the one after it
    return {stem(_term(w, after)) for w, after in pairs if w not in STOPWORDS}
