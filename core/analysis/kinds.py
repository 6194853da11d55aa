"""What kind of page a sample is (a list of records, one record's detail page, an article) and
whether it must be rendered in Chromium before it can be analysed."""

from __future__ import annotations

import re

from typing import TYPE_CHECKING

from selectolax.lexbor import LexborHTMLParser, LexborNode

if TYPE_CHECKING:
    from core.analysis.structured import StructuredData

_APP_ROOTS = ("#root", "#app", "#__next", "#__nuxt", "[ng-app]", "[data-reactroot]", "app-root")
_NOSCRIPT_HINT = re.compile(r"enable javascript|requires javascript|javascript is (?:required|"
                            r"disabled)|turn on javascript", re.IGNORECASE)


def needs_javascript(html: str) -> bool:
    """Whether the page's content appears only after its scripts run.

    True when the body has almost no visible text but does have scripts, when a single-page-app
    root element (``#root``, ``#app``, ``#__next``…) is empty, or when a ``<noscript>`` asks for
    JavaScript and the rest of the page says little. Pages with structured data (JSON-LD) in the
    HTML are analysable as they are.
    """
    tree = LexborHTMLParser(html)
    body = tree.body
    if body is None:
        return False
    scripts = tree.css("script")
    noscript = " ".join(n.text() for n in tree.css("noscript"))
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    text = " ".join(body.text(separator=" ").split())
    if any(s.attributes.get("type") == "application/ld+json" for s in scripts):
        return False
    for query in _APP_ROOTS:
        root = tree.css_first(query)
        if root is not None and len(" ".join(root.text().split())) < 40 and len(text) < 400:
            return True
    if _NOSCRIPT_HINT.search(noscript) and len(text) < 400:
        return True
    return bool(scripts) and len(text) < 80


def page_kind(html: str, url: str, *, tree: LexborHTMLParser | None = None,
              data: "StructuredData | None" = None) -> str:
    """``"list"``, ``"detail"`` or ``"article"`` for one page.

    Structured data decides first (one main Product → detail; an Article → article; an ItemList
    of several products → list). Otherwise a repeated record container whose records carry
    prices, or many links with text, makes a list, unless the page's own product signals (a
    single itemprop price, an add-to-cart button outside the records) say detail. A page with a
    long ``<article>`` or article meta and no price is an article; anything else is a detail page.
    """
    from core.analysis.containers import find_container
    from core.analysis.product import main_products
    from core.analysis.structured import entities_of_type, structured_data

    tree = tree if tree is not None else LexborHTMLParser(html)
    data = data if data is not None else structured_data(html, url)
    products = main_products(data, url)
    og_type = (data.meta.get("og:type") or "").lower()
    listed = [e for e in entities_of_type(data, "ItemList")
              if isinstance(e.get("itemListElement"), list) and len(e["itemListElement"]) >= 3]
    container = find_container(tree)
    records = {n.mem_id for n in container.nodes} if container else set()
    if container and container.with_price >= 0.6 and len(container.nodes) >= 3:
        own_signals = _detail_signals_outside(tree, records) or og_type.startswith("product")
        if not own_signals and len(products) != 1:
            return "list"
    if products and (len(products) == 1 or not listed):
        return "detail"
    if og_type.startswith("product"):
        return "detail"
    if listed and not products:
        return "list"
    articles = entities_of_type(data, "Article", "NewsArticle", "BlogPosting", "Report",
                                "TechArticle", "ScholarlyArticle")
    if articles or og_type == "article" or _long_article(tree):
        return "article"
    if container and len(container.nodes) >= 4 and container.with_link >= 0.9:
        return "list"
    return "detail"


def _inside_any(node: LexborNode | None, ids: set[int]) -> bool:
    while node is not None:
        if node.mem_id in ids:
            return True
        node = node.parent
    return False


def _detail_signals_outside(tree: LexborHTMLParser, records: set[int]) -> bool:
    """A single product's marks (itemprop price, an add-to-cart button) outside the records."""
    from core.analysis.product import CART_WORDS

    query = ("[itemprop=price], button, input[type=submit], input[type=button], a, "
             "input[name=quantity], input[name=qty], select[name*=size i], select[name*=variant i]")
    for node in tree.css(query):
        if _inside_any(node, records):
            continue
        attrs = node.attributes
        if attrs.get("itemprop") == "price" or node.tag == "select" or \
                attrs.get("name") in ("quantity", "qty"):
            return True
        label = (node.text(deep=True) or attrs.get("value") or "")[:60]
        if CART_WORDS.search(label):
            return True
    return False


def _long_article(tree: LexborHTMLParser) -> bool:
    nodes = tree.css("article")
    if len(nodes) != 1:
        return False
    words = len(nodes[0].text(deep=True).split())
    return words >= 150
