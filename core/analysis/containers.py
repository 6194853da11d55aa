"""The repeated record element of a list page: ``div.product``, ``li.item``, ``article.card``.

Records of a list are sibling subtrees with the same tag and classes, each holding a link and
usually a price or an image. Every group of three or more such siblings is a candidate; the one
whose records hold the most (links, prices, images, text) across the most records wins.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.selectors import safe_css, stable_classes

# the amount's length is bounded: a long run of digits must not take quadratic time
_PRICE = re.compile(r"(?:[$€£¥₹]|\b(?:USD|EUR|GBP|CHF|SEK|PLN)\b)\s?\d|"
                    r"(?<![\d.,])\d[\d.,]{0,20}\s?(?:[$€£¥₹]|"
                    r"\b(?:USD|EUR|GBP|CHF|SEK|PLN|kr|zł)\b)")
_SKIP = {"script", "style", "noscript", "template", "head", "svg", "option", "select", "tr"}
MIN_RECORDS = 3


@dataclass
class Container:
    selector: str
    nodes: list[LexborNode]
    score: float
    with_price: float  # share of records holding a price
    with_link: float


def find_container(tree: LexborHTMLParser) -> Container | None:
    """The best repeated record element on the page, or None when nothing repeats."""
    body = tree.body
    if body is None:
        return None
    best: Container | None = None
    for parent in body.traverse(include_text=False):
        if parent.tag in _SKIP:
            continue
        groups: dict[tuple, list[LexborNode]] = defaultdict(list)
        for child in parent.iter(include_text=False):
            if child.tag in _SKIP:
                continue
            groups[(child.tag, tuple(sorted(stable_classes(child))))].append(child)
        for (tag, classes), nodes in groups.items():
            if len(nodes) < MIN_RECORDS or tag in ("br", "hr", "img", "span", "option"):
                continue
            candidate = _judge(tree, parent, tag, classes, nodes)
            if candidate and (best is None or candidate.score > best.score):
                best = candidate
    return best


def _judge(tree: LexborHTMLParser, parent: LexborNode, tag: str, classes: tuple[str, ...],
           nodes: list[LexborNode]) -> Container | None:
    n = len(nodes)
    links = sum(1 for node in nodes if node.css_first("a[href]") or node.tag == "a") / n
    prices = sum(1 for node in nodes if _PRICE.search(node.text(deep=True))) / n
    images = sum(1 for node in nodes if node.css_first("img")) / n
    texts = [len(node.text(deep=True).split()) for node in nodes]
    words = sum(texts) / n
    if links < 0.6 or words < 2:
        return None
    if tag in ("a", "li") and not classes and prices == 0 and images == 0:
        return None  # a navigation menu, not records
    # Records carry several things; nav links carry a word or two.
    richness = links + 2 * prices + images + min(words, 40) / 20
    score = richness * (n ** 0.5)
    selector = _selector(tree, parent, tag, classes, nodes)
    if selector is None:
        return None
    return Container(selector, nodes, score, prices, links)


def _selector(tree: LexborHTMLParser, parent: LexborNode, tag: str, classes: tuple[str, ...],
              nodes: list[LexborNode]) -> str | None:
    wanted = {node.mem_id for node in nodes}
    options = [f"{tag}.{cls}" for cls in classes] + ([f"{tag}.{'.'.join(classes)}"]
                                                     if len(classes) > 1 else [])
    parent_options = [f"{parent.tag}.{cls}" for cls in stable_classes(parent)]
    if parent.attributes.get("id"):
        parent_options.append(f"#{parent.attributes['id']}")
    parent_options.append(str(parent.tag))
    options += [f"{p} > {tag}" + "".join(f".{c}" for c in classes[:1]) for p in parent_options]
    for query in options:
        found = safe_css(tree, query)
        if {node.mem_id for node in found} == wanted:
            return query
    return None
