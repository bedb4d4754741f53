"""YAML front matter (Jekyll, Hugo, MkDocs) -> facts of the document.

A Markdown file may open with a `---` block of YAML. Its `title` names the document; its other
values can be facts ("description", "author", lists of "tags", a list of question/answer pairs) and
become answer units: a value as a "Key: value" row, a list as items introduced by the key, a
mapping with a question and an answer as a FAQ. Site machinery is not knowledge and is left out:
layout, permalinks, redirects, navigation, ordering weights, CSS classes, yes/no switches, paths,
search-engine copies of the title and description, links to other pages, audiences.

Front matter that is not valid YAML is kept as plain text, with a warning naming the line.
The YAML is read with `yaml.safe_load` (no objects built from tags); an alias that repeats a huge
node (a "billion laughs") is stopped by the document's character limit.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from earpiece.core.knowledge.limits import IngestLimits
from earpiece.core.knowledge.units import (
    QA,
    Block,
    Element,
    Heading,
    Item,
    Table,
    build_units,
    clean,
    plain_text_elements,
    question_text,
)

_BLOCK = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_MACHINERY = re.compile(  # a word of a key that says the value is for the site, not the reader
    r"(?:side|sub)?nav|layout|permalink|redirect|slugs?|alias(?:es)?|urls?|href|menus?|weight|order|"
    r"parent|children|draft|published|template|class(?:es)?|colou?rs?|css|styles?|scripts?|images?|icons?|"
    r"thumbnail|toc|search|sitemap|lang|id|type|hide|hidden|sticky|date|lastmod|modified|sort|keywords?|"
    r"tags?|categor(?:y|ies)|bg|"
    # For search engines and the CMS, or about other pages: "meta-title", "seo-keywords",
    # "display_title", "concurrence", "relatedlinks" (another page's title and description),
    # "audience", "target-population".
    r"meta\w*|seo|display|concurrence|related\w*|\w*links?|audiences?|target",
    re.IGNORECASE,
)
# A path (a URL, a file) or a breadcrumb of a site's taxonomy ("Cost and Coverage>Dependent Coverage").
_PATH = re.compile(r"^(?:[a-z]+:|/|#|\.{1,2}/)\S*$|^\S+/\S*$|^[^>]+(?:>[^>]+)+$", re.IGNORECASE)
_SLUG = re.compile(r"^[a-z0-9]+(?:[-_][a-z0-9]+)+$")  # "create-account": an identifier, not words
_QUESTION_KEYS = ("question", "q", "title")
_ANSWER_KEYS = ("answer", "a", "response")


@dataclass(slots=True)
class FrontMatter:
    end: int  # where the body starts (a character offset)
    title: str = ""
    elements: list[Element] = field(default_factory=list)
    problem: str = ""  # not valid YAML: kept as text


def read_front_matter(text: str, path: Path, limits: IngestLimits) -> FrontMatter | None:
    """The front matter at the start of `text`, or None when there is none."""
    block = _BLOCK.match(text)
    if block is None:
        return None
    source = block.group("yaml")
    try:
        data = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 2}" if mark is not None else "its start"  # +1: 0-based, +1: the `---`
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        return FrontMatter(block.end(), elements=plain_text_elements(source), problem=(
            f"{path}: the front matter (the block between the `---` lines) is not valid YAML at {where} "
            f"({problem}); it was kept as plain text"))
    facts = _Facts(path, limits)
    title = ""
    if isinstance(data, dict):
        raw_title = data.get("title")
        title = clean(str(raw_title)) if isinstance(raw_title, str | int | float) else ""
        for key, value in data.items():
            if str(key).lower() != "title":
                facts.add(_label(key), value)
    else:
        facts.add("", data)
    return FrontMatter(block.end(), title, facts.elements)


def front_matter_units(front: FrontMatter) -> list[Block]:
    """The facts' units, under the title (unless it is a question: it would take them as its answer)."""
    titled = front.title and question_text(front.title) is None
    return build_units([Heading(front.title), *front.elements] if titled else front.elements)


def _label(key: object) -> str:
    words = re.sub(r"[_-]+", " ", str(key)).strip()
    return words[:1].upper() + words[1:]


def _scalar(value: object) -> str | None:
    """The text of a value that says something (not a switch, not a path), else None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, datetime.date | int | float):
        return str(value)
    if isinstance(value, str):
        text = clean(value)
        return _inline_markdown(text) if text and not _PATH.match(text) and not _SLUG.match(text) else None
    return None


def _inline_markdown(text: str) -> str:
    """A value's own Markdown (`__The barcode.__ Print [the email](/help/)`) as the words it shows."""
    if not re.search(r"[_*`\[<&]", text):
        return text
    from bs4 import BeautifulSoup
    from markdown_it import MarkdownIt

    return clean(BeautifulSoup(MarkdownIt("commonmark").renderInline(text), "lxml").get_text())


@dataclass(slots=True)
class _Facts:
    path: Path
    limits: IngestLimits
    elements: list[Element] = field(default_factory=list)
    cost: int = 0  # characters (and nodes) produced: bounds an alias bomb

    def _spend(self, text: str) -> None:
        self.cost += len(text) + 1
        self.limits.check_chars(self.path, self.cost)

    def add(self, label: str, value: object) -> None:
        if any(_MACHINERY.fullmatch(word) for word in label.split()):
            return
        self._spend(label)
        if isinstance(value, dict):
            if (qa := _question(value)) is not None:
                self._spend(qa.question + qa.answer)
                self.elements.append(qa)
                return
            for key, inner in value.items():
                self.add(f"{label} {_label(key).lower()}".strip() if label else _label(key), inner)
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, dict | list):
                    self.add(label, item)
                elif (text := _scalar(item)) is not None:
                    self._spend(text)
                    self.elements.append(Item(text, label or None))
        elif (text := _scalar(value)) is not None:
            self._spend(text)
            self.elements.append(Table([[label, text]] if label else [[text]]))


def _question(mapping: dict[object, object]) -> QA | None:
    """`{question: ..., answer: ...}` (any case) as a FAQ."""
    keys = {str(k).lower(): v for k, v in mapping.items()}
    question = next((keys[k] for k in _QUESTION_KEYS if isinstance(keys.get(k), str)), None)
    answer = next((keys[k] for k in _ANSWER_KEYS if isinstance(keys.get(k), str)), None)
    if isinstance(question, str) and isinstance(answer, str) and question.strip() and answer.strip():
        return QA(clean(question), clean(answer))
    return None
