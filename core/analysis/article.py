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

from core.analysis.dates import publication_date

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
    less recall). The date comes from :func:`core.analysis.dates.publication_date`.
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
        text=_text_of(document),
        sitename=document.sitename or None,
        tags=list(document.tags or []),
        categories=list(document.categories or []),
    )


def main_text(html: str | bytes, url: str | None = None, *, fast: bool = False) -> str | None:
    """Only the main text (no metadata, no date): what the quality bench measures."""
    document = _extract(html, url, fast=fast, with_metadata=False)
    return _text_of(document) if document is not None else None


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
    import lxml.html
    from lxml import etree

    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError, TypeError):
        return []
    return [h1.text_content() for h1 in tree.iter("h1")]


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def _text_of(document) -> str | None:
    # NFC, as trafilatura.extract() gives its text: the same letter compares equal however written.
    return unicodedata.normalize("NFC", document.text) if document.text else None


def _extract(html: str | bytes, url: str | None, *, fast: bool, with_metadata: bool = True):
    from trafilatura import bare_extraction

    if not html:
        return None
    try:
        return bare_extraction(html, url=url, fast=fast, include_comments=False,
                               include_tables=True, include_formatting=False,
                               with_metadata=with_metadata)
    except Exception:  # trafilatura is robust, but a page must never break the analysis
        log.warning("article could not be read from %s", url, exc_info=True)
        return None
