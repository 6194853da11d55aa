"""How a list page leads to its next page: the ``pagination`` of a package, read off a sample.

In order of trust: a ``rel=next`` link (``<a rel="next">`` or ``<link rel="next">``); a link
whose text says next ("Next", "Next ›", "›", "»", "Weiter", "Suivant", "Siguiente"…) or whose
``aria-label``/class says so; a list of page numbers whose links differ only by the number
(``?page=2``, ``/page/2/``, ``?p=3``) → a URL pattern up to the highest number shown; a
"Load more" control with a link → followed like a next link. A load-more button without a link
(it asks a script for more) cannot be followed, and the answer says so.

    >>> detect_pagination(html, "https://shop.example/c?page=1").pagination
    {'type': 'next_button', 'selector': 'a[rel~="next"]'}
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.selectors import css_string, first_is, stable_classes
from vocabularies import PaginationType

_NEXT_WORDS = ("next", "next page", "more results", "weiter", "nächste", "nächste seite",
               "vor", "suivant", "page suivante", "siguiente", "successivo", "avanti",
               "volgende", "następna", "nästa", "neste", "næste", "seuraava", "›", "»", "→",
               ">", ">>", "next ›", "next »", "next >", "next →", "weiter ›", "weiter »",
               "suivant ›", "suivant »", "siguiente ›", "siguiente »")
_MORE_WORDS = re.compile(r"^(?:load|show|see|view)\s+more|^mehr\s+(?:laden|anzeigen)|"
                         r"^afficher\s+plus|^voir\s+plus|^cargar\s+más|^ver\s+más|^mostra\s+altri",
                         re.IGNORECASE)
_NUMBERED = re.compile(r"([?&](?:page|p|pg|seite|pagina|paged|pageNumber|page_number)=)(\d+)|"
                       r"(/(?:page|seite|pagina)/)(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class PaginationFound:
    """``pagination`` for the package (``{"type": "none"}`` when nothing was found), the URL of
    the second page when it is known, and a readable note."""

    pagination: dict
    next_url: str | None
    note: str


def detect_pagination(html: str, url: str) -> PaginationFound:
    """The pagination of the list page ``html`` (fetched from ``url``)."""
    tree = LexborHTMLParser(html)
    base = _base(tree, url)
    found = _rel_next(tree, base) or _next_text(tree, base) or _numbered(tree, base) \
        or _load_more(tree, base)
    if found:
        return found
    if _button_load_more(tree):
        return PaginationFound({"type": PaginationType.NONE}, None,
                               "A 'load more' button asks a script for the next records; it has "
                               "no link to follow, so only the records shown at first are read.")
    return PaginationFound({"type": PaginationType.NONE}, None,
                           "No link to a next page was found.")


def _base(tree: LexborHTMLParser, url: str) -> str:
    node = tree.css_first("base[href]")
    return urljoin(url, node.attributes.get("href") or "") if node else url


def _href(node: LexborNode, base: str) -> str | None:
    href = (node.attributes.get("href") or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:")):
        return None
    target = urljoin(base, href)
    return target if urlsplit(target).scheme in ("http", "https") and target != base else None


def _next_button(query: str) -> dict[str, object]:
    return {"type": PaginationType.NEXT_BUTTON, "selector": query}


def _rel_next(tree: LexborHTMLParser, base: str) -> PaginationFound | None:
    for query in ('a[rel~="next"]', 'link[rel~="next"]'):
        node = tree.css_first(query)
        if node is not None and _href(node, base):
            return PaginationFound(_next_button(query), _href(node, base),
                                   f"Next page: the rel=next link ({_href(node, base)}).")
    return None


def _text(node: LexborNode) -> str:
    return " ".join((node.text(deep=True) or "").split())


def _next_text(tree: LexborHTMLParser, base: str) -> PaginationFound | None:
    body = tree.body
    if body is None:
        return None
    for link in body.css("a[href]"):
        target = _href(link, base)
        if target is None:
            continue
        said = [_text(link).casefold(), (link.attributes.get("aria-label") or "").casefold(),
                (link.attributes.get("title") or "").casefold()]
        classes = " ".join(stable_classes(link)).casefold()
        if not (any(s in _NEXT_WORDS for s in said) or re.search(r"(?:^|[-_ ])next(?:$|[-_ ])",
                                                                  classes)):
            continue
        query = _link_selector(body, link)
        if query is None:
            continue
        return PaginationFound(_next_button(query), target,
                               f"Next page: the '{_text(link) or said[1] or classes}' link "
                               f"({target}).")
    return None


def _link_selector(body: LexborNode, link: LexborNode) -> str | None:
    """A CSS selector whose first match is ``link``: its class, aria-label or parent's class."""
    options = [f"a.{c}" for c in stable_classes(link)]
    for name in ("aria-label", "title", "rel"):
        value = link.attributes.get(name)
        if value and len(value) <= 40:
            options.append(f"a[{name}={css_string(value)}]")
    parent = link.parent
    if parent is not None:
        options += [f"{parent.tag}.{c} > a" for c in stable_classes(parent)]
    return next((q for q in options if first_is(body, q, link)), None)


def _numbered(tree: LexborHTMLParser, base: str) -> PaginationFound | None:
    """Links that show a page number and differ from each other only by it → a URL pattern."""
    numbers: dict[str, set[int]] = {}
    for link in tree.css("a[href]"):
        target = _href(link, base)
        if target is None:
            continue
        match = _NUMBERED.search(target)
        if not match:
            continue
        number = int(match.group(2) or match.group(4))
        if _text(link) != str(number):  # a page-number list shows the number itself
            continue
        pattern = target[:match.start()] + (match.group(1) or match.group(3)) + "{page}" + \
            target[match.end():]
        numbers.setdefault(pattern, set()).add(number)
    if not numbers:
        return None
    pattern, seen = max(numbers.items(), key=lambda item: len(item[1]))
    current = _current_number(base)
    later = sorted(n for n in seen if n > current)
    if not later or (len(seen) < 2 and later[0] != current + 1):
        return None
    last = max(seen)
    first = current if current >= 1 else min(min(seen), 1)
    next_url = pattern.replace("{page}", str(current + 1 if current + 1 in seen else later[0]))
    return PaginationFound({"type": PaginationType.URL_PATTERN, "pattern": pattern,
                            "first_page": first, "last_page": last}, next_url,
                           f"Pages {first} to {last} by a URL pattern: {pattern} (the highest "
                           "page number the list shows; a job can set its own last page).")


def _current_number(url: str) -> int:
    match = _NUMBERED.search(url)
    if match:
        return int(match.group(2) or match.group(4))
    query = dict(parse_qsl(urlsplit(url).query))
    return int(query["page"]) if query.get("page", "").isdigit() else 1


def _load_more(tree: LexborHTMLParser, base: str) -> PaginationFound | None:
    body = tree.body
    if body is None:
        return None
    for link in body.css("a[href]"):
        target = _href(link, base)
        if target and _MORE_WORDS.search(_text(link)):
            query = _link_selector(body, link)
            if query:
                return PaginationFound(_next_button(query), target,
                                       f"A '{_text(link)}' link leads to more records "
                                       f"({target}); it is followed like a next page.")
    return None


def _button_load_more(tree: LexborHTMLParser) -> bool:
    body = tree.body
    return body is not None and any(_MORE_WORDS.search(_text(b)) for b in body.css("button"))
