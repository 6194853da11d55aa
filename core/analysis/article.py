"""An article page's main text and metadata, read by trafilatura (date by core.analysis.dates).

trafilatura finds the main content of a page and leaves navigation, footers, related links and
comments out; it also reads title, author, description, site name, tags and categories from the
page's metadata.

    >>> story = article(html, "https://news.example/2024/03/03/lamps")
    >>> story.title, story.author, story.date, story.text[:80]

trafilatura is imported inside the function: the CLI imports this module and must start fast.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from core.analysis.dates import publication_date
from core.platform import standard_json

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from trafilatura.settings import Document

log = logging.getLogger(__name__)


@dataclass
class Article:
    """What an article page says: None (or an empty list) where the page does not say it."""

    title: str | None = None
    author: str | None = None
    date: str | None = None  # 'YYYY-MM-DD', the original publication date
    description: str | None = None
    text: str | None = None  # main text, paragraphs separated by newlines, without comments
    sitename: str | None = None
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)


def article(html: str | bytes, url: str | None = None, *, fast: bool = False) -> Article:
    """Read an article page. Never raises on bad markup: an unreadable page gives an empty Article.

    The main text keeps tables and leaves comments out (trafilatura's ``include_comments=False,
    include_tables=True``). ``fast`` skips trafilatura's fallback extractors (quicker, a little
    less recall). The text then goes through :func:`_settled_text` (a short text retried for
    recall, the page's own JSON-LD ``articleBody`` when much longer, link lines dropped). The date
    comes from :func:`core.analysis.dates.publication_date`.
    """
    document = _extract(html, url, fast=fast)
    date = publication_date(html, url)
    if document is None:
        return Article(date=date)
    return Article(
        title=_headline(document.title, html),
        author=document.author or None,
        date=date,
        description=document.description or None,
        text=_settled_text(_text_of(document), html, url, fast=fast),
        sitename=document.sitename or None,
        tags=list(document.tags or []),
        categories=list(document.categories or []),
    )


def main_text(html: str | bytes, url: str | None = None, *, fast: bool = False) -> str | None:
    """Only the main text (no metadata, no date): what the quality bench measures."""
    document = _extract(html, url, fast=fast, with_metadata=False)
    return _settled_text(_text_of(document) if document is not None else None, html, url,
                         fast=fast)


# --- Settling the main text ----------------------------------------------------------------------
# Checked on trafilatura-eval (990 pages, odd/even halves tuned and reported apart; see
# bench/articles.py): each step helps both halves, and none names a site, a class or a language.

SHORT_TEXT = 300  # characters: below this, trafilatura's recall mode is tried as well
LONGER = 3  # a replacement text must be this many times longer than what was found
BODY_MIN = 500  # characters: a JSON-LD articleBody shorter than this is a teaser, not the body
LONG_PARAGRAPH = 300  # characters: the last paragraph this long ends the story proper
LINK_TEXT_MIN = 15  # characters: shorter link texts ("Home", "Mehr") say nothing
# "Read more: <a link's text>", "Lesen Sie auch: …", "Czytaj też: …": a short label and a colon
_LABELLED = re.compile(r"^[^:.!?]{2,30}:\s*(.+)$")


def _settled_text(text: str | None, html: str | bytes, url: str | None, *,
                  fast: bool) -> str | None:
    """The main text, settled with what the page says besides trafilatura's first reading:

    - a text shorter than SHORT_TEXT is read again favouring recall, kept when LONGER times
      longer (a story trafilatura cut to its first lines);
    - the page's own JSON-LD ``articleBody``, when at least BODY_MIN characters and LONGER
      times longer than the text found (pages whose body is assembled by script);
    - lines that are only a link's text behind a short label ("Read more: <link>") are dropped,
      and so are lines that are only a link's text after the last long paragraph (the teasers
      of related articles below a story). A link inside the story keeps its line.
    """
    if not html:
        return text
    if len(text or "") < SHORT_TEXT:
        retried = _extract(html, url, fast=fast, with_metadata=False, favor_recall=True)
        longer = _text_of(retried) if retried is not None else None
        if longer and len(longer) > LONGER * len(text or ""):
            text = longer
    tree = _tree(html)
    if tree is None:
        return text
    body = _jsonld_body(tree)
    if body and len(body) >= BODY_MIN and len(body) > LONGER * len(text or ""):
        text = body
    if not text:
        return text
    return _without_link_lines(text, tree) or None


def _without_link_lines(text: str, tree: HtmlElement) -> str:
    links = {_squash(a.text_content()) for a in tree.iter("a")}
    links = {link for link in links if len(link) >= LINK_TEXT_MIN}
    if not links:
        return text
    lines = text.split("\n")
    last_long = max((i for i, line in enumerate(lines) if len(line) >= LONG_PARAGRAPH),
                    default=len(lines))
    kept = []
    for index, line in enumerate(lines):
        squashed = _squash(line).strip(" |")
        labelled = _LABELLED.match(squashed)
        if labelled and labelled.group(1).strip() in links:
            continue
        if index > last_long and squashed in links:
            continue
        kept.append(line)
    return "\n".join(kept)


def _jsonld_body(tree: HtmlElement) -> str | None:
    """The longest ``articleBody`` in the page's JSON-LD, as plain text."""
    import lxml.html
    from lxml import etree

    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            body = node.get("articleBody")
            if isinstance(body, str) and body.strip():
                found.append(body)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for script in tree.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            walk(standard_json.loads(script.text or "", nonstandard_as_null=True))
        except (ValueError, RecursionError):
            continue
    if not found:
        return None
    body = max(found, key=len)
    if "<" in body and ">" in body:  # some sites put the body's HTML there
        try:
            body = lxml.html.fromstring(body).text_content()
        except (etree.ParserError, ValueError):
            pass
    lines = (" ".join(line.split()) for line in body.splitlines())
    return unicodedata.normalize("NFC", "\n".join(line for line in lines if line)) or None


def _tree(html: str | bytes) -> HtmlElement | None:
    import lxml.html
    from lxml import etree

    try:
        return lxml.html.fromstring(html)
    except ValueError:  # a str that declares its encoding: lxml reads it as bytes
        if isinstance(html, str):
            return _tree(html.encode("utf-8"))
        return None
    except (etree.ParserError, TypeError):
        return None


# "Headline | Site", "Site - Headline", "Headline › Section": what <title> adds around a headline.
_TITLE_SEPARATORS = re.compile(r"\s+(?:[|\-–—›»:·•]|::)\s+")


def _headline(title: str | None, html: str | bytes) -> str | None:
    """The title, without the site name or section <title> adds, when a <h1> shows which part
    is the headline (trafilatura keeps e.g. "Night trains | The Courier" when it cannot tell)."""
    if not title or not _TITLE_SEPARATORS.search(title):
        return title or None
    headings = {_squash(h) for h in _h1_texts(html)}
    for part in _TITLE_SEPARATORS.split(title):
        if _squash(part) in headings:
            return part.strip()
    return title


def _h1_texts(html: str | bytes) -> list[str]:
    tree = _tree(html)
    return [h1.text_content() for h1 in tree.iter("h1")] if tree is not None else []


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text_of(document: Document) -> str | None:
    # NFC, as trafilatura.extract() gives its text: the same letter compares equal however written.
    return unicodedata.normalize("NFC", document.text) if document.text else None


def _extract(html: str | bytes, url: str | None, *, fast: bool, with_metadata: bool = True,
             favor_recall: bool = False) -> Document | None:
    from trafilatura import bare_extraction
    from trafilatura.settings import Document

    if not html:
        return None
    try:
        document = bare_extraction(html, url=url, fast=fast, include_comments=False,
                                   include_tables=True, include_formatting=False,
                                   with_metadata=with_metadata, favor_recall=favor_recall)
        return document if isinstance(document, Document) else None  # a dict only if asked
    except Exception:  # trafilatura is robust, but a page must never break the analysis
        log.warning("article could not be read from %s", url, exc_info=True)
        return None
