"""HTML -> answer-unit elements, reading only what a visitor sees as the page's content.

Not knowledge, and never ingested: scripts, styles, templates, `<noscript>`; anything hidden
(`hidden`, `aria-hidden="true"`, inline `display:none` / `visibility:hidden`, or a class or id that
the page's own `<style>` hides); the page chrome (navigation, site header and footer, cookie and
consent banners). A hidden block is how a hostile page would slip instructions past a reviewer.

FAQ markup is read as questions with answers: schema.org `Question` microdata, `<details>` with a
question `<summary>`, `<dt>`/`<dd>` pairs, a paragraph that opens with a bold question.
"""

from __future__ import annotations

import re
from typing import Any

from earpiece.core.knowledge.units import (
    QA,
    Element,
    Heading,
    Item,
    Para,
    Table,
    clean,
    is_question,
    plain_text_elements,
)

_NEVER = ["script", "style", "noscript", "template", "svg", "iframe", "object", "button", "select",
          "input", "textarea", "nav"]
_CHROME_ROLES = {"navigation", "banner", "contentinfo", "search", "dialog", "alertdialog"}
_BANNER = re.compile(r"cookie|consent|gdpr|newsletter-popup", re.IGNORECASE)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|content-visibility\s*:\s*hidden",
                           re.IGNORECASE)
_CSS_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE_SELECTOR = re.compile(r"^\s*(?:[a-z0-9]+)?([.#])([\w-]+)\s*$", re.IGNORECASE)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = ("p", "li", "pre", "blockquote", "figcaption", "div", "address")
_CONTAINERS = ("table", "details", "dl")


Hidden = tuple[set[str], set[str]]  # the classes and the ids a page's stylesheet hides


def hidden_selectors(css: str, into: Hidden) -> None:
    """Add the classes and ids that the stylesheet `css` hides (simple `.x` / `#y` rules only)."""
    classes, ids = into
    for selectors, body in _CSS_RULE.findall(css):
        if not _HIDDEN_STYLE.search(body):
            continue
        for selector in selectors.split(","):
            if match := _SIMPLE_SELECTOR.match(selector):
                (classes if match.group(1) == "." else ids).add(match.group(2))


def _is_hidden(tag: Any, classes: set[str], ids: set[str]) -> bool:
    attrs = tag.attrs or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    if _HIDDEN_STYLE.search(str(attrs.get("style", ""))):
        return True
    own_classes = set(attrs.get("class") or [])
    if own_classes & classes or attrs.get("id") in ids:
        return True
    if str(attrs.get("role", "")).lower() in _CHROME_ROLES:
        return True
    marker = " ".join([*own_classes, str(attrs.get("id", ""))])
    return bool(_BANNER.search(marker))


def _is_page_chrome(tag: Any) -> bool:
    """The site's header and footer; a header or footer inside an article or main is content."""
    return tag.name in ("header", "footer") and tag.find_parent(["article", "main", "section"]) is None


def remove_invisible(soup: Any, hidden: Hidden) -> None:
    """`hidden`: what the page's styles hide beyond the `<style>` elements in `soup`."""
    classes, ids = set(hidden[0]), set(hidden[1])
    for style in soup.find_all("style"):
        hidden_selectors(style.get_text(), (classes, ids))
    for tag in soup(_NEVER):
        tag.decompose()
    for tag in soup.find_all(True):
        if tag.decomposed:
            continue
        if _is_hidden(tag, classes, ids) or _is_page_chrome(tag):
            tag.decompose()


_SPACE_BEFORE_PUNCT = re.compile(r"\s+(?=[.,;:!?)](?:\s|$))")


def _joined(parts: Any) -> str:
    """Text pieces joined with a space, but none before the punctuation after an inline tag
    ("share feedback privately, contact" rather than "privately , contact")."""
    return _SPACE_BEFORE_PUNCT.sub("", clean(" ".join(parts)))


def _text(tag: Any) -> str:
    return _joined(tag.stripped_strings)


def _lines(tag: Any) -> str:
    """The tag's text with `<br>` kept as line breaks (for "Q: ...<br>A: ..." paragraphs)."""
    for br in tag.find_all("br"):
        br.replace_with("\n")
    return "\n".join(clean(line) for line in tag.get_text("").split("\n"))


def _table(tag: Any) -> Table:
    caption = tag.find("caption")
    rows: list[list[str]] = []
    header: list[str] | None = None
    for tr in tag.find_all("tr"):
        if tr.find_parent("table") is not tag:
            continue  # a nested table is read as its own cells' text
        cells = tr.find_all(["th", "td"], recursive=False)
        texts = [_text(c) for c in cells]
        if header is None and not rows and cells and all(c.name == "th" for c in cells):
            header = texts
        elif any(texts):
            rows.append(texts)
    return Table(rows, header, _text(caption) if caption else "")


def _definition_list(tag: Any) -> list[Element]:
    elements: list[Element] = []
    term: str | None = None
    for child in tag.find_all(["dt", "dd"]):
        if child.name == "dt":
            term = _text(child)
        elif term is not None:
            definition = _text(child)
            if is_question(term):
                elements.append(QA(term, definition))
            else:
                elements.append(Table([[term, definition]]))
    return elements


def _details(tag: Any) -> list[Element]:
    summary = tag.find("summary")
    question = _text(summary) if summary else ""
    if summary is not None:
        summary.decompose()
    answer = _text(tag)
    if is_question(question):
        return [QA(question, answer)]
    return [Heading(question), Para(answer)] if question else [Para(answer)]


def _microdata_question(tag: Any) -> QA | None:
    name = tag.find(attrs={"itemprop": "name"})
    answer = tag.find(attrs={"itemprop": "acceptedAnswer"}) or tag.find(attrs={"itemprop": "suggestedAnswer"})
    if name is None or answer is None:
        return None
    return QA(_text(name), _text(answer))


def _bold_question(tag: Any) -> QA | None:
    """`<p><strong>Can I bring my dog?</strong> Only guide dogs are allowed.</p>`."""
    first: Any = next((c for c in tag.children if not (isinstance(c, str) and not c.strip())), None)
    if first is None or getattr(first, "name", None) not in ("strong", "b"):
        return None
    question = _text(first)
    if not is_question(question):
        return None
    first.extract()
    answer = _text(tag)
    return QA(question, answer) if answer else None


def _lead_in(item: Any) -> str | None:
    """The paragraph just before the item's list, when it introduces the list ("To return an item:")."""
    parent = item.find_parent(["ul", "ol"])
    previous = parent.find_previous_sibling() if parent is not None else None
    if previous is not None and previous.name == "p":
        text = _text(previous)
        if text.endswith(":"):
            return text.rstrip(":")
    return None


# Jinja / Liquid / Django tags and MkDocs-style `{!file.md!}` includes: what they stand for is not
# here. Kramdown attribute lists (`{: .number-list}`), help-centre macros (`{start_tabs}`,
# `{tab|by-card}`) and admonition markers (`!!! tip ""`) style the page and say nothing.
_TEMPLATE_TAGS = re.compile(
    r"\{%.*?%\}|\{\{.*?\}\}|\{#.*?#\}|\{!.*?!\}|\{:[^{}\n]*\}|\{[a-z_]+(?:\|[\w-]+)*\}|"
    r"!!!\s*[\w-]+(?:[ \t]+(?:\"[^\"\n]*\"|&quot;[^\n]*?&quot;))?",
    re.DOTALL,
)
# A Markdown link whose target was a template (`[get started]({{ site.baseurl }}...)`) is left
# unrendered as `[get started]( )`; its text is what a visitor reads.
_EMPTY_LINK = re.compile(r"\[([^\[\]]*)\]\(\s*\)")


_MARKUP = re.compile(r"^\s*<(?:[a-z][a-z0-9]*|/[a-z][a-z0-9]*)[\s>]", re.IGNORECASE)


def unindent_markup(soup: Any) -> None:
    """Markdown turns HTML indented by four spaces after a blank line into a code block (an
    `<ol>` inside a help page's `<div>`); that is the page's markup, not code to show: it is read
    as HTML again."""
    from bs4 import BeautifulSoup

    for pre in soup.find_all("pre"):
        code = pre.get_text()
        if _MARKUP.match(code) and code.rstrip().endswith(">"):
            fragment = BeautifulSoup(code, "lxml")
            pre.replace_with(*(fragment.body or fragment).contents)


def spell_out_contact_links(soup: Any) -> None:
    """"[email Zulip support](mailto:support@zulip.com)": a visitor can click the words, a caller
    can only hear them, so an e-mail or phone link whose text does not show its address gets it."""
    for link in soup.find_all("a", href=True):
        scheme, _, address = str(link["href"]).partition(":")
        address = address.split("?")[0].strip()
        if scheme.lower() not in ("mailto", "tel") or not address:
            continue
        shown = _text(link)
        if scheme.lower() == "tel":
            visible = re.sub(r"\D", "", address) in re.sub(r"\D", "", shown)
        else:
            visible = address.lower() in shown.lower()
        if not visible:
            link.append(f" at {address}" if shown else address)


def wrap_loose_text(soup: Any, root: Any, wanted: tuple[str, ...]) -> None:
    """Text straight in `<body>` ("Open 9 to 5. <b>Closed</b> on Sunday." saved as a page, a
    help-desk snippet) is a paragraph, as a browser shows it: each run of it, with its inline tags,
    goes into a `<p>` of its own, in place."""
    from bs4.element import NavigableString, PreformattedString, Tag

    def inline(node: Any) -> bool:
        if isinstance(node, Tag):
            return node.name not in wanted and node.find(wanted) is None
        return isinstance(node, NavigableString) and not isinstance(node, PreformattedString)  # no comment

    runs: list[list[Any]] = [[]]
    for child in root.contents:
        if inline(child):
            runs[-1].append(child)
        elif runs[-1]:
            runs.append([])
    for run in runs:
        if run and "".join(n.get_text() for n in run).strip():
            paragraph = run[0].wrap(soup.new_tag("p"))
            for later in run[1:]:
                paragraph.append(later.extract())


def html_elements(markup: str, hidden: Hidden = (set(), set())) -> tuple[str, list[Element]]:
    """(title, elements) of an HTML page (or a segment of one, whose page hides `hidden`); the title
    is the `<title>` or else the first heading."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_EMPTY_LINK.sub(r"\1", _TEMPLATE_TAGS.sub(" ", markup)), "lxml")
    unindent_markup(soup)
    remove_invisible(soup, hidden)
    spell_out_contact_links(soup)
    title = _text(soup.title) if soup.title else ""
    root: Any = soup.body or soup
    wanted = (*_HEADINGS, *_BLOCKS, *_CONTAINERS)
    wrap_loose_text(soup, root, wanted)
    consumed: set[int] = set()  # ids of containers read as a whole (bs4 tags compare by content)
    elements: list[Element] = []
    questions = root.find_all(attrs={"itemtype": re.compile(r"schema\.org/Question", re.IGNORECASE)})
    question_ids = {id(q) for q in questions}
    for tag in root.find_all([*wanted, *{q.name for q in questions}]):
        if tag.decomposed or any(id(parent) in consumed for parent in tag.parents):
            continue
        if id(tag) in question_ids:
            consumed.add(id(tag))
            if (qa := _microdata_question(tag)) is not None:
                elements.append(qa)
            continue
        if tag.name in _CONTAINERS:
            consumed.add(id(tag))
            elements.extend([_table(tag)] if tag.name == "table" else
                            _definition_list(tag) if tag.name == "dl" else _details(tag))
            continue
        if tag.name in _HEADINGS:
            if text := _text(tag):
                elements.append(Heading(text))
                title = title or text
            continue
        if tag.name == "li" and tag.find(_HEADINGS) is not None:
            continue  # a list used as layout (an FAQ as <li><h3>question</h3><p>answer</p></li>)
        if tag.name == "li":
            nested = tag.find(["ul", "ol"])
            if nested is None:
                consumed.add(id(tag))  # its paragraphs are the item, not blocks of their own
            own = _text(tag) if nested is None else _joined(
                clean(s) for s in tag.find_all(string=True) if not any(p is nested for p in s.parents)
            )
            if clean(own):
                ordered = tag.parent is not None and tag.parent.name == "ol"
                elements.append(Item(clean(own), _lead_in(tag), ordered=ordered))
            continue
        if tag.find(wanted):
            # An outer block: its nested blocks speak for themselves; keep only its loose text.
            loose = clean(" ".join(s.strip() for s in tag.find_all(string=True, recursive=False)))
            if loose:
                elements.append(Para(loose))
            continue
        if (qa := _bold_question(tag)) is not None:
            elements.append(qa)
            continue
        elements.extend(plain_text_elements(_lines(tag)))
    return title, elements
