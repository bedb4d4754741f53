"""Cheap deterministic checks around the language model.

`precheck` classifies what the caller said before any model runs: a request for a person (or a
"yes" to the offer of one), a goodbye, or an obvious injection / secret-fishing attempt get a fixed
safe reply without the LLM.
`OutputGuard` checks each sentence a model produced before it is spoken: it stops replies that
quote the instructions, expose a fence tag, or carry credential-shaped text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from earpiece.core.llm.prompt import NOT_FOUND_REPLY, SYSTEM_PROMPT
from earpiece.core.redaction import MASK, redact

__all__ = ["NOT_FOUND_REPLY", "Intent", "OutputGuard", "Precheck", "offers_person", "precheck"]


class Intent(StrEnum):
    QUESTION = "question"
    HANDOVER = "handover"
    GOODBYE = "goodbye"
    INJECTION = "injection"


HANDOVER_REPLY = "Of course. I'll connect you to a colleague now, please stay on the line."
GOODBYE_REPLY = "Thank you for calling. Goodbye!"
INJECTION_REPLY = (
    "I can only help with questions about our services, and I can't share internal information. "
    "Is there something else I can help you with, or would you like to talk to a person?"
)
LEAK_REPLY = "I'm sorry, I can't help with that. Would you like to talk to a person?"
NO_PERSON_REPLY = "All right. Is there anything else I can help you with?"
# Replies that end by offering a person: a "yes" on the next turn is a request for one.
_OFFERS = re.compile(
    r"(?:would you like|shall i|do you want)\b.{0,40}\b(?:person|colleague|someone)\b[^.!?]*\?\s*$"
)
_YES = re.compile(
    r"^(?:(?:oh|um|uh|er|well|ok|okay)\s+)*(?:yes|yeah|yep|yup|sure|please|ok|okay|alright|all right|"
    r"go ahead|please do|yes please|that would be (?:great|good|nice)|i would|i'd like that|definitely|"
    r"of course)(?:\s+(?:please|thanks|thank you|do|that would be great|go ahead))*$"
)
_NO = re.compile(r"^(?:(?:oh|um|uh|er|well)\s+)*(?:no|nope|no thanks|no thank you|not now|i'm fine|i'm ok|"
                 r"not really|that's ok|that's okay)(?:\s+(?:thanks|thank you|it's fine|i'm fine))*$")

_HUMAN = (
    r"(?:an?\s+|the\s+)?(?:real\s+|live\s+)?"
    r"(?:person|human(?:\s+being)?|agent|representative|operator|somebody|someone|colleague|rep)"
)
_HANDOVER_PATTERNS = (
    re.compile(rf"\b(?:speak|talk|chat)\s+(?:to|with)\s+{_HUMAN}\b"),
    re.compile(rf"\b(?:connect|transfer|put)\s+me\s+(?:to|through\s+to|with)\s+{_HUMAN}\b"),
    # "to speak of a person": how a recogniser (Moonshine) can hear "to speak to a person".
    re.compile(rf"\b(?:i\s+(?:want|need|would\s+like)|i'd\s+like|can\s+i\s+(?:have|get)|get\s+me|give\s+me)\s+(?:to\s+(?:speak|talk)\s+(?:to|with|of)\s+)?{_HUMAN}\b"),
    re.compile(r"\b(?:representative|operator)\b"),
)
# Short utterances that are only the request ("Agent.", "A human, please.").
_HANDOVER_SHORT = re.compile(rf"^(?:(?:um|uh|er|please|ok|okay|yes|yeah)\s+)*{_HUMAN}(?:\s+please)?$")

_GOODBYE = re.compile(
    r"^(?:(?:ok|okay|no|great|thanks|thank\s+you|that's\s+all|that\s+is\s+all|that's\s+it|nothing\s+else)[\s,]*)*"
    r"(?:good[\s-]*bye|bye(?:[\s-]+bye)?|that's\s+all|that\s+is\s+all|that's\s+it|nothing\s+else)(?:\s+thanks?|\s+thank\s+you)?$"
)

_INJECTION_PATTERNS = (
    re.compile(r"\b(?:ignore|forget|disregard|override|bypass)\b.{0,40}\b(?:instructions?|rules?|prompts?|guidelines|directions|everything)\b"),
    re.compile(r"\b(?:system|initial|hidden|original|secret)\s+(?:prompt|instructions?|message|rules?)\b"),
    re.compile(r"\b(?:reveal|show|tell|read|repeat|print|recite|give|what\s+are|what\s+were)\b.{0,30}\byour\s+(?:instructions?|rules?|prompt|guidelines|programming|configuration)\b"),
    re.compile(r"\b(?:developer|admin|debug|god|dan)\s+mode\b|\bjailbreak"),
    re.compile(r"\b(?:you\s+are\s+now|from\s+now\s+on\s+you|pretend\s+(?:to\s+be|you\s+are)|act\s+as|roleplay\s+as)\b"),
    re.compile(r"\b(?:admin|administrator|root|system|master|internal|database|server|your|the\s+company'?s?)\s+(?:password|passcode|pass\s*word|credentials?|login|api\s*keys?|secret\s*keys?|tokens?)\b"),
    re.compile(r"\bapi\s*keys?\b|\bsecret\s+keys?\b|\baccess\s+tokens?\b"),
)


def _normalise(text: str) -> str:
    text = text.lower().replace("’", "'")
    text = re.sub(r"[^a-z0-9'\s-]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True, slots=True)
class Precheck:
    intent: Intent
    reply: str | None  # a fixed reply to speak instead of asking the model, or None


def offers_person(reply: str) -> bool:
    """Whether a reply ended by offering to connect the caller to a person."""
    return bool(_OFFERS.search(reply.lower()))


def precheck(text: str, previous_reply: str = "") -> Precheck:
    """What the caller said, judged without a model. `previous_reply` is what was said to them last:
    after an offer of a person, "yes please" is a request for one."""
    said = _normalise(text)
    if previous_reply and offers_person(previous_reply):
        if _YES.match(said):
            return Precheck(Intent.HANDOVER, HANDOVER_REPLY)
        if _NO.match(said):
            return Precheck(Intent.QUESTION, NO_PERSON_REPLY)
    if any(p.search(said) for p in _INJECTION_PATTERNS):
        return Precheck(Intent.INJECTION, INJECTION_REPLY)
    if _HANDOVER_SHORT.match(said) or any(p.search(said) for p in _HANDOVER_PATTERNS):
        return Precheck(Intent.HANDOVER, HANDOVER_REPLY)
    if _GOODBYE.match(said):
        return Precheck(Intent.GOODBYE, GOODBYE_REPLY)
    return Precheck(Intent.QUESTION, None)


# "How to reset your password: Enter your new password." is a heading and a step, not a secret: a
# credential field followed by a plain word (letters only, then a space or punctuation) is prose.
_FIELD_THEN_WORD = re.compile(
    r"(?i)\b(?:password|passwd|passcode|secret|api[_-]?key)\s*[=:]\s*[a-z]+(?=[\s.,;!?\"')]|$)"
)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower())


class OutputGuard:
    """Per-reply check of model output, sentence by sentence.

    A reply that shares `overlap_words` consecutive words with the instructions is taken as a leak;
    so is any fence tag or credential-shaped text. After a leak the reply is cut.
    """

    def __init__(self, *, fence: str = "", instructions: str = SYSTEM_PROMPT, overlap_words: int = 7) -> None:
        self._n = overlap_words
        self._grams: set[tuple[str, ...]] = set()
        for part in instructions.split(NOT_FOUND_REPLY):  # the prompt quotes the reply it may give
            words = _words(part)
            n = len(words) - overlap_words + 1
            self._grams |= {tuple(words[i : i + overlap_words]) for i in range(n)}
        self._fence = fence.lower()
        self.leaked = False
        self.reason = ""

    def check(self, sentence: str) -> str | None:
        """The sentence to speak (possibly replaced by a refusal), or None once the reply is cut."""
        if self.leaked:
            return None
        reason = self._leak_reason(sentence)
        if reason:
            self.leaked = True
            self.reason = reason
            return LEAK_REPLY
        return sentence

    def _leak_reason(self, sentence: str) -> str:
        lowered = sentence.lower()
        if self._fence and self._fence in lowered:
            return "fence tag in output"
        if "<<" in sentence or ">>" in sentence:
            return "fence delimiter in output"
        prose = _FIELD_THEN_WORD.sub(" ", sentence)
        if MASK in redact(prose) and MASK not in prose:
            return "credential-shaped text in output"
        words = _words(sentence)
        for i in range(len(words) - self._n + 1):
            if tuple(words[i : i + self._n]) in self._grams:
                return "output quotes the instructions"
        return ""
