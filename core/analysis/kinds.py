"""What kind of page a sample is (a list of records, one record's detail page, an article) and
whether it must be rendered in Chromium before it can be analysed."""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

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
