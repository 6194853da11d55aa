"""One small interface over two HTML engines.

selectolax (lexbor) parses and runs CSS selectors several times faster than lxml, so a page whose
selectors are all CSS is parsed with it. XPath needs lxml; when a package uses any XPath, the
whole page is parsed with lxml and its CSS selectors are translated to XPath by cssselect, so
container and field selectors always run against the same tree.

Both engines match CSS against the node itself and its descendants; a CSS selector is accepted
only if both engines compile it, so a package keeps working when an XPath field is added to it.

An XPath may select attributes or text (``.//a/@href``, ``string(.//h1)``); such results are
strings and are used as they are, whatever the field's ``take`` says.
"""

from __future__ import annotations

import functools
import html as html_escape
import re
from dataclasses import dataclass
from typing import Any, Literal, Protocol
from urllib.parse import urljoin

import lxml.html
from cssselect import HTMLTranslator, SelectorError
from lxml import etree
from selectolax.lexbor import LexborHTMLParser, SelectolaxError

SelectorType = Literal["css", "xpath", "jsonld"]  # jsonld: a path into the page's JSON-LD
Take = Literal["text", "html", "attr"]
Node = Any  # a selectolax LexborNode, an lxml element, or a string an XPath selected


@dataclass(frozen=True, slots=True)
class Selector:
    query: str
    type: SelectorType = "css"


class Document(Protocol):
    """A parsed page: the same calls whichever engine parsed it."""

    @property
    def root(self) -> Node: ...

    def select(self, node: Node, selector: Selector) -> list[Node]: ...

    def select_first(self, node: Node, selector: Selector) -> Node | None:
        """``select(node, selector)[0]`` (None when nothing matches), without looking further."""

    def containers(self, selector: Selector) -> list[Node]:
        """The elements matching a container selector (an XPath's strings and numbers dropped)."""

    def value(self, node: Node, take: Take, attribute: str | None = None) -> str | None: ...

    def base_url(self, page_url: str) -> str: ...


# --- Nesting depth --------------------------------------------------------------------------------
# HTML parsers take time quadratic in nesting depth (lexbor: 7 s for 30,000 nested <div>, minutes
# for 150,000), and every parser here runs inside a worker that must keep its heartbeat. So pages
# that come in (fetched, rendered, uploaded) are flattened to MAX_NESTING levels before anything
# parses them (Chromium's parser stops at 512 too): when an element would open deeper, a wrapper
# from the middle of the open elements is removed — its start and end tags, not its content — so
# the outermost and innermost levels keep their structure (a product at the bottom of 150,000
# <div> keeps its own elements). A page within the limit is returned unchanged, as the same string.
MAX_NESTING = 512
_VOID = frozenset("area base br col embed hr img input keygen link meta param source track "
                  "wbr".split())
_IMPLIED_END = {"li": {"li"}, "p": {"p"}, "dt": {"dt", "dd"}, "dd": {"dt", "dd"},
                "option": {"option"}, "tr": {"tr", "td", "th"}, "td": {"td", "th"},
                "th": {"td", "th"}}
_CLOSES_P = frozenset("address article aside blockquote dd details dialog div dl dt fieldset "
                      "figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main "
                      "menu nav ol p pre section table ul".split())
# A comment, a raw-text element skipped whole (its text may hold "<div>"), or a tag. "[^<>]*"
# (not "[^>]*") keeps the scan linear on a page full of "<" without ">".
_MARKUP = re.compile(
    r"<!--.*?(?:-->|\Z)"
    r"|<(script|style|textarea|title|xmp)\b[^<>]*>.*?(?:</\1\s*>|\Z)"
    r"|<(/?)([a-zA-Z][^\s/<>]*)[^<>]*>",
    re.DOTALL | re.IGNORECASE)


def cap_nesting(html: str, max_depth: int = MAX_NESTING) -> str:
    """``html`` with no element nested deeper than ``max_depth`` (see above); linear in the
    page's size."""
    # An element can only open at a "<" that starts neither an end tag ("</") nor a comment or
    # doctype ("<!"): a page with no more of those than the limit cannot go deeper, and is
    # returned without the scan (counts in C instead of a regex and a loop over its tags; each
    # count reads the whole page, so none is made that the answer does not need: "<!" only
    # comes once or twice in most pages).
    opens = html.count("<")
    if opens <= max_depth:
        return html
    opens -= html.count("</")
    if opens <= max_depth or opens - html.count("<!") <= max_depth:
        return html
    middle = max_depth // 2
    stack: list[tuple[str, int, int]] = []  # open elements: (name, start tag's span)
    open_count: dict[str, int] = {}
    removed: list[str] = []  # wrappers removed at ``middle``, outermost first
    cuts: list[tuple[int, int]] = []
    for match in _MARKUP.finditer(html):
        name = match[3]
        if name is None:
            continue
        name = name.lower()
        if match[2]:  # an end tag
            if len(stack) == middle and removed and removed[-1] == name:
                removed.pop()  # a removed wrapper's end tag
                cuts.append(match.span())
            elif open_count.get(name):  # closes the innermost open element of that name
                while stack:
                    top = stack.pop()[0]
                    open_count[top] -= 1
                    if top == name:
                        break
                if len(stack) < middle:
                    removed.clear()
            continue
        if name in _VOID:
            continue
        if stack and stack[-1][0] == "p" and name in _CLOSES_P:
            open_count[stack.pop()[0]] -= 1
        if stack and stack[-1][0] in _IMPLIED_END.get(name, ()):
            open_count[stack.pop()[0]] -= 1
        if len(stack) >= max_depth:
            wrapper, start, end = stack.pop(middle)
            open_count[wrapper] -= 1
            removed.append(wrapper)
            cuts.append((start, end))
        stack.append((name, *match.span()))
        open_count[name] = open_count.get(name, 0) + 1
    if not cuts:
        return html
    cuts.sort()
    parts, position = [], 0
    for start, end in cuts:
        parts.append(html[position:start])
        position = end
    parts.append(html[position:])
    return "".join(parts)


def parse_html(html: str | bytes, *, xpath: bool = False) -> Document:
    """Parse ``html`` (text, or its UTF-8 bytes) with lexbor, or with lxml when any selector to
    run on it is XPath (or when lexbor cannot build the document: lxml runs the same CSS
    selectors, translated)."""
    if xpath:
        return _LxmlDocument(html)
    try:
        return _LexborDocument(html)
    except Exception:  # lexbor refused the page: parse it the other way rather than fail
        return _LxmlDocument(html)


def css_problem(query: str) -> str | None:
    """Why ``query`` is not a usable CSS selector, or None."""
    if not query.strip():
        return "is empty"
    try:
        _css_as_xpath(query)
    except SelectorError as exc:
        return f"{query!r} is not a valid CSS selector ({exc})"
    try:
        _EMPTY_LEXBOR.css(query)
    except SelectolaxError:
        return f"{query!r} is not a CSS selector the HTML parser supports"
    return None


def xpath_problem(query: str) -> str | None:
    """Why ``query`` is not a usable XPath expression, or None.

    Compiling catches syntax errors; evaluating once on an empty page catches unknown functions
    and undefined variables, which lxml only reports at run time.
    """
    if not query.strip():
        return "is empty"
    try:
        _compiled_xpath(query)(_EMPTY_LXML)
    except etree.XPathError as exc:
        return f"{query!r} is not a valid XPath expression ({exc})"
    return None


class _LexborDocument:
    def __init__(self, html: str | bytes) -> None:
        self._tree = LexborHTMLParser(html)

    @property
    def root(self) -> Node:
        return self._tree.root

    def select(self, node: Node, selector: Selector) -> list[Node]:
        if selector.type != "css":
            raise ValueError("XPath needs a page parsed with parse_html(..., xpath=True)")
        return node.css(selector.query)

    def select_first(self, node: Node, selector: Selector) -> Node | None:
        if selector.type != "css":
            raise ValueError("XPath needs a page parsed with parse_html(..., xpath=True)")
        return node.css_first(selector.query)  # lexbor stops at the first match

    def containers(self, selector: Selector) -> list[Node]:
        return self.select(self.root, selector)

    def value(self, node: Node, take: Take, attribute: str | None = None) -> str | None:
        if take == "text":
            return node.text(deep=True)
        if take == "html":
            return node.inner_html
        attributes = node.attributes
        if attribute not in attributes:
            return None
        return attributes[attribute] or ""  # a bare attribute (<input disabled>) has value None

    def base_url(self, page_url: str) -> str:
        # the first <base href> in tree order, as a browser takes it; lexbor's list of a tag's
        # elements costs a third of a CSS query's walk (every page asks)
        for base in self._tree.tags("base"):
            if "href" in base.attributes:
                return urljoin(page_url, base.attributes["href"] or "")
        return page_url


class _LxmlDocument:
    def __init__(self, html: str | bytes) -> None:
        # Bytes, because lxml refuses str input that carries an XML encoding declaration.
        parser = lxml.html.HTMLParser(encoding="utf-8")
        utf8 = html.encode("utf-8") if isinstance(html, str) else html
        root = etree.fromstring(utf8, parser) if utf8.strip() else None
        self._root = root if root is not None else lxml.html.fromstring("<html></html>")

    @property
    def root(self) -> Node:
        return self._root

    def select(self, node: Node, selector: Selector) -> list[Node]:
        query = selector.query if selector.type == "xpath" else _css_as_xpath(selector.query)
        found = _compiled_xpath(query)(node)
        return found if isinstance(found, list) else [found]

    def select_first(self, node: Node, selector: Selector) -> Node | None:
        return next(iter(self.select(node, selector)), None)

    def containers(self, selector: Selector) -> list[Node]:
        return [n for n in self.select(self._root, selector) if isinstance(n, etree._Element)]

    def value(self, node: Node, take: Take, attribute: str | None = None) -> str | None:
        if not isinstance(node, etree._Element):
            return str(node)
        if take == "text":
            return node.text_content()
        if take == "html":
            return _inner_html(node)
        return node.get(attribute)

    def base_url(self, page_url: str) -> str:
        found = self._root.xpath("//base[@href][1]/@href")
        return urljoin(page_url, found[0]) if found else page_url


def _inner_html(element: etree._Element) -> str:
    text = html_escape.escape(element.text, quote=False) if element.text else ""
    # tostring() of a child includes its tail text, which is part of this element's content.
    return text + "".join(lxml.html.tostring(child, encoding="unicode") for child in element)


@functools.lru_cache(maxsize=1024)
def _css_as_xpath(query: str) -> str:
    return HTMLTranslator().css_to_xpath(query)


@functools.lru_cache(maxsize=1024)
def _compiled_xpath(query: str) -> etree.XPath:
    return etree.XPath(query)


_EMPTY_LEXBOR = LexborHTMLParser("<html></html>")
_EMPTY_LXML = lxml.html.fromstring("<html></html>")
