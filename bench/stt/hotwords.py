"""Hotword sets for Whisper: every distinctive word of the knowledge base (~400 characters, what
the product passed before issue 13) against the few terms that recur across the organisation's
own pages (what it passes now: `core/knowledge/vocabulary.py`, the first `HOTWORD_TERMS`).
"""

from __future__ import annotations

import functools

from bs4 import BeautifulSoup

from bench.stt.speech import LARKSPUR_ORG
from earpiece.core.knowledge.vocabulary import extract_vocabulary, recurring_terms
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


@functools.cache
def hotwords(org: str, kind: str) -> str | None:
    if kind == "none":
        return None
    documents = _documents(org)
    if kind == "kb-all":
        return hotwords_from_vocabulary(extract_vocabulary(documents, limit=200), max_terms=200)
    if kind == "recurring":
        return hotwords_from_vocabulary(recurring_terms(documents))
    raise ValueError(f"unknown hotword set {kind!r} (one of {', '.join(HOTWORD_SETS)})")
