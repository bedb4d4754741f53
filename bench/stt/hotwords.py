"""Hotwords for Whisper: today's (every distinctive word of the knowledge base, ~400 characters)
against a few terms that recur across the organisation's own pages.

`recurring_terms` is the proposal for `core/knowledge/vocabulary.py`: a term qualifies as today
(product and place names, model numbers, acronyms), and is kept only when it appears in at least
`min_documents` documents; the most widespread `limit` terms are the hotwords. Jargon that one page
mentions once ("LZMA2", "MiB") no longer biases every caller's transcript.
"""

from __future__ import annotations

import functools
import re
from collections import Counter

from bs4 import BeautifulSoup

from bench.stt.speech import LARKSPUR_ORG
from earpiece.core.knowledge.vocabulary import extract_vocabulary
from earpiece.core.paths import resources_dir
from earpiece.core.stt.whisper import hotwords_from_vocabulary
from tests.answers_dataset import DOCS_DIR

HOTWORD_SETS = ("none", "kb-all", "recurring")


def _documents(org: str) -> list[str]:
    folder = resources_dir() / "kb" / "sample" if org == LARKSPUR_ORG else DOCS_DIR / org
    texts = []
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        raw = path.read_text(encoding="utf-8", errors="replace")
        texts.append(BeautifulSoup(raw, "lxml").get_text(" ") if path.suffix == ".html" else raw)
    return texts


def recurring_terms(documents: list[str], *, limit: int = 12, min_count: int = 3) -> list[str]:
    """Distinctive capitalised terms used at least `min_count` times, ranked by how many documents
    use them, then by how often."""
    per_document = [
        {t for t in extract_vocabulary([text], limit=1000) if t[0].isupper()}  # not "h2", "3-year"
        for text in documents
    ]
    spread = Counter(term for terms in per_document for term in terms)
    joined = "\n".join(documents)
    count = {t: len(re.findall(rf"(?<![\w-]){re.escape(t)}(?![\w-])", joined)) for t in spread}
    ranked = sorted((t for t in spread if count[t] >= min_count), key=lambda t: (-spread[t], -count[t], t))
    return ranked[:limit]


@functools.cache
def hotwords(org: str, kind: str) -> str | None:
    if kind == "none":
        return None
    documents = _documents(org)
    if kind == "kb-all":  # what the product passes today
        return hotwords_from_vocabulary(extract_vocabulary(documents))
    if kind == "recurring":
        return hotwords_from_vocabulary(recurring_terms(documents))
    raise ValueError(f"unknown hotword set {kind!r} (one of {', '.join(HOTWORD_SETS)})")
