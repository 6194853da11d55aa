"""A page, made small enough to show a model: the HTML without what cannot help find data
(scripts, styles, SVG, hidden frames), with only the attributes selectors use, whitespace
collapsed and long values cut, clipped to ``MAX_DIGEST_CHARS``.

Kept on purpose: JSON-LD blocks, ``<title>`` and named ``<meta>`` tags (structured data often
holds the cleanest values), and ``class``/``id``/``itemprop``/``data-*``/``href``/``src``… (what
a repaired selector is made of). A list page's repeated records show in the first few thousand
characters, which is what the model needs to see the pattern.
"""

from __future__ import annotations

import re

from selectolax.lexbor import LexborHTMLParser

from core.llm.assist import MAX_DIGEST_CHARS

DROPPED = ("script:not([type='application/ld+json']), style, svg, noscript, iframe, template, "
           "link, canvas, video, audio, picture source")
KEPT_ATTRIBUTES = frozenset({
    "class", "id", "itemprop", "itemtype", "itemscope", "href", "src", "content", "name",
    "property", "datetime", "alt", "title", "aria-label", "rel", "type", "value"})
MAX_ATTRIBUTE_CHARS = 200
MAX_TEXT_RUN = 300
MAX_JSON_LD_CHARS = 3000


def html_digest(html: str, max_chars: int = MAX_DIGEST_CHARS) -> str:
    """The digest of ``html`` (see the module docstring), at most ``max_chars`` long."""
    tree = LexborHTMLParser(html)
    for node in tree.css(DROPPED):
        node.decompose()
    for node in tree.css("*"):
        attributes = node.attrs
        for name in list(node.attributes):
            if name not in KEPT_ATTRIBUTES and not name.startswith(("data-", "aria-")):
                del attributes[name]
            elif (value := node.attributes.get(name)) and len(value) > MAX_ATTRIBUTE_CHARS:
                attributes[name] = value[:MAX_ATTRIBUTE_CHARS] + "…"
    text = tree.html or ""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.DOTALL)
    text = re.sub(r">\s+<", "><", text)
    text = re.sub(r"\s+", " ", text)
    text = _LONG_RUNS.sub(_shorten, text)
    return text if len(text) <= max_chars else text[:max_chars] + " [… cut]"


# A JSON-LD block (kept longer: it is dense with values) or a long run of text.
_LONG_RUNS = re.compile(r"(<script[^>]*>.*?</script>)|[^<>]{%d,}" % (MAX_TEXT_RUN + 1),
                        flags=re.DOTALL)


def _shorten(match: re.Match[str]) -> str:
    text, limit = match.group(0), MAX_JSON_LD_CHARS if match.group(1) else MAX_TEXT_RUN
    return text if len(text) <= limit else text[:limit] + "…" + ("</script>" if match.group(1)
                                                                 else "")
