"""Match a wanted field to an element of a record: by name (itemprop, class, id, data
attributes, labels), by type (a price, a link, an image, a rating, a date) and by position.

The answer is a field spec for the package (``{"selector": "span.price", "transforms":
["price"]}``) and a readable note on how it was found.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborNode

from core.analysis.enums import availability
from core.analysis.selectors import safe_css, selector_within
from core.analysis.types import WantedField

_PRICE_TEXT = re.compile(r"(?:[$€£¥₹]|\b[A-Z]{3}\b)\s?\d|"  # amounts bounded: no quadratic scans
                         r"(?<![\d.,])\d[\d.,]{0,20}\s?(?:[$€£¥₹]|\b[A-Z]{3}\b|\bkr\b|zł)")
_OLD_PRICE = re.compile(r"old|was|regular|strike|compare|original|before|rrp|uvp|msrp|list",
                        re.IGNORECASE)
_NAME_WORDS = {  # extra words to look for in class names, per field name
    "name": ("name", "title", "heading"), "title": ("title", "headline", "name"),
    "price": ("price", "cost", "amount"), "rating": ("rating", "stars", "score", "review"),
    "image": ("image", "img", "photo", "thumb", "picture"), "url": ("link", "url"),
    "date": ("date", "time", "published", "added"), "description": ("desc", "summary", "excerpt"),
    "availability": ("availab", "stock", "inventory"), "sku": ("sku", "code"),
    "brand": ("brand", "maker", "vendor"), "author": ("author", "byline", "writer"),
    "review_count": ("count", "reviews"), "currency": ("currency", "price"),
    "text": ("articlebody", "article-body", "entry-content", "post-content", "post-body",
             "article-content", "story-body"),
}


@dataclass
class Match:
    spec: dict  # a FieldSpec dict
    source: str


def match_in_records(field: WantedField, records: Sequence[LexborNode]) -> Match | None:
    """The spec that gives ``field`` in most of ``records`` (container elements), or None."""
    finder = finder_for(field)
    best: tuple[int, Match] | None = None
    for record in records[:3]:  # the first record may lack the field; look at a few
        found = finder(field, record)
        if found is None:
            continue
        node, spec, source = found
        spec = {"selector": selector_within(record, node), **spec}
        hits = sum(1 for r in records if value_of(r, spec) not in (None, ""))
        if best is None or hits > best[0]:
            best = (hits, Match(spec, source))
        if hits == len(records):
            break
    return best[1] if best else None


def value_of(root: LexborNode, spec: dict) -> Any:
    """What ``spec`` takes from ``root`` before transforms (for checking a candidate)."""
    node = root.css_first(spec["selector"]) if spec.get("selector") else root
    if node is None:
        return None
    if spec.get("take") == "attr":
        return node.attributes.get(spec["attribute"])
    return " ".join(node.text(deep=True).split()) or None


# -- finders: (field, record) → (node, spec without selector, source) -----------------------------

Found = tuple[LexborNode, dict, str] | None


def _named(field: WantedField, record: LexborNode, tags: str = "*") -> LexborNode | None:
    """The first element whose itemprop, class or id names the field."""
    return next(_all_named(field, record, tags), None)


def _all_named(field: WantedField, record: LexborNode, tags: str = "*") -> Iterator[LexborNode]:
    """Elements whose itemprop, class or id names the field, best names first."""
    # the field's name, and the canonical name a schema property was read as ("stars" → rating)
    names = dict.fromkeys(n for n in (field.name, field.description) if n and " " not in n)
    words = tuple(dict.fromkeys(word for name in names for word in (
        name.replace("_", ""), name, *_NAME_WORDS.get(name, ()))))
    for word in words:
        if not re.fullmatch(r"[A-Za-z][\w-]*", word):
            continue  # a field name that cannot be part of a selector
        for query in (f"[itemprop={word} i]", f"[class*={word} i]", f"[id*={word} i]"):
            for node in safe_css(record, query):
                if node.mem_id == record.mem_id:
                    continue  # lexbor matches the record itself too
                if tags == "*" or node.tag in tags.split(","):
                    yield node


def _own_attribute(field: WantedField, record: LexborNode) -> Found:
    """``<div class="product" data-sku="LMP-101">``: the value sits on the record itself."""
    for key in (f"data-{field.name.replace('_', '-')}", f"data-{field.name}"):
        if record.attributes.get(key):
            return record, {"take": "attr", "attribute": key}, f"attribute {key} of the record"
    return None


def _by_name(field: WantedField, record: LexborNode) -> Found:
    found = _own_attribute(field, record)
    if found:
        return found
    node = _named(field, record)
    if node is not None:
        transforms = {"number": ["number"], "integer": ["number"], "date": ["date"],
                      "boolean": ["strip"]}.get(field.type, ["strip"])
        return node, {"transforms": transforms}, f"class/itemprop naming '{field.name}'"
    label = _labelled(field, record)
    return label


def _labelled(field: WantedField, record: LexborNode) -> Found:
    """``<li><b>SKU:</b> <span>LMP-101</span></li>``: an element right after a label."""
    label = field.name.replace("_", " ")
    for node in record.traverse(include_text=False):
        own = (node.text(deep=False) or "").strip().rstrip(":").strip().lower()
        if own == label and node.next is not None:
            sibling: LexborNode | None = node.next
            while sibling is not None and sibling.tag == "-text" and not sibling.text().strip():
                sibling = sibling.next
            if sibling is not None and sibling.tag != "-text":
                return sibling, {"transforms": ["strip"]}, f"the element after the label '{own}'"
    return None


def _name(field: WantedField, record: LexborNode) -> Found:
    node = _named(field, record, "h1,h2,h3,h4,h5,h6,a,span,div,p,strong")
    if node is None:
        node = record.css_first("h1, h2, h3, h4, h5, h6")
    if node is not None and node.text(deep=True).strip():
        return node, {"transforms": ["strip"]}, f"{node.tag} heading/name element"
    link = record.css_first("a[title]")
    if link is not None:
        return link, {"take": "attr", "attribute": "title", "transforms": ["strip"]}, "link title"
    image = record.css_first("img[alt]")
    if image is not None and image.attributes.get("alt"):
        return image, {"take": "attr", "attribute": "alt", "transforms": ["strip"]}, "image alt"
    link = record.css_first("a[href]")  # a bare list of links: the link's text names the record
    if link is not None and len(link.text(deep=True).split()) >= 1:
        return link, {"transforms": ["strip"]}, "the record's link text"
    return None


def _text(field: WantedField, record: LexborNode) -> Found:
    node = _named(field, record) or record.css_first("article") or record.css_first("main")
    if node is not None and len(node.text(deep=True).split()) >= 20:
        return node, {"transforms": ["strip"]}, f"{node.tag} main text"
    return None


def _price(field: WantedField, record: LexborNode) -> Found:
    transform = "currency" if field.type == "currency" else "price"
    for node in record.css("[itemprop=price]"):
        if node.attributes.get("content"):
            return node, {"take": "attr", "attribute": "content", "transforms": [transform]}, \
                "itemprop=price"
    named = [n for n in record.css("[class*=price i], [id*=price i], [itemprop=price]")
             if not _OLD_PRICE.search(n.attributes.get("class") or "")
             and _PRICE_TEXT.search(n.text(deep=True) or "")]
    # the innermost element holding the price text (not a wrapper with the old price too)
    named = [n for n in named if not any(other is not n and _inside(other, n) for other in named)]
    if named:
        return named[0], {"transforms": [transform]}, \
            f"class .{_word(named[0], 'price')} + price-parser"
    for node in record.traverse(include_text=False):
        own = node.text(deep=False) or ""
        if _PRICE_TEXT.search(own) and node.tag not in ("del", "s", "strike"):
            return node, {"transforms": [transform]}, "text that reads as a price + price-parser"
    return None


def _inside(inner: LexborNode, outer: LexborNode) -> bool:
    parent = inner.parent
    while parent is not None:
        if parent.mem_id == outer.mem_id:
            return True
        parent = parent.parent
    return False


def _word(node: LexborNode, word: str) -> str:
    classes = (node.attributes.get("class") or "").split()
    return next((c for c in classes if word in c.lower()),
                classes[0] if classes else str(node.tag))


def _url(field: WantedField, record: LexborNode) -> Found:
    if record.tag == "a" and record.attributes.get("href"):
        return record, {"take": "attr", "attribute": "href", "transforms": ["absolute_url"]}, \
            "the record's own link"
    links = [a for a in record.css("a[href]")
             if not (a.attributes.get("href") or "").startswith(("#", "javascript:", "mailto:"))]
    if not links:
        return None
    # The link around the heading or the image is the record's own link.
    best = next((a for a in links if a.css_first("h1, h2, h3, h4, img")), None) or \
        next((a for a in links if a.parent and a.parent.tag in ("h1", "h2", "h3", "h4")), None) \
        or links[0]
    return best, {"take": "attr", "attribute": "href", "transforms": ["absolute_url"]}, \
        "link href + absolute URL"


def _image(field: WantedField, record: LexborNode) -> Found:
    for image in record.css("img"):
        attrs = image.attributes
        for key in ("src", "data-src", "data-lazy-src", "data-original", "srcset"):
            value = attrs.get(key) or ""
            if value and not value.startswith("data:"):
                return image, {"take": "attr", "attribute": key,
                               "transforms": ["absolute_url"]}, f"img {key} + absolute URL"
    return None


_RATING = re.compile(r"\b([0-5](?:[.,]\d)?)\s*(?:/|out of|of|von|sur)\s*(?:5|five)\b|"
                     r"\b[0-5](?:[.,]\d+)?\b")


def _rating(field: WantedField, record: LexborNode) -> Found:
    for node in _all_named(field, record):
        for key in ("content", "data-rating", "data-score", "aria-label", "title"):
            value = node.attributes.get(key)
            if value and _RATING.search(value):
                return node, {"take": "attr", "attribute": key, "transforms": ["number"]}, \
                    f"{key} of .{_word(node, 'rat')}"
        if _RATING.search(node.text(deep=True) or ""):
            return node, {"transforms": ["number"]}, f"class .{_word(node, 'rat')} + number"
    return None


def _date(field: WantedField, record: LexborNode) -> Found:
    time = record.css_first("time[datetime]")
    if time is not None:
        return time, {"take": "attr", "attribute": "datetime", "transforms": ["date"]}, \
            "time datetime"
    node = _named(field, record)
    if node is not None:
        return node, {"transforms": [{"regex": _DATE_TEXT}, "date"]}, \
            f"class .{_word(node, 'date')} + dateparser"
    return None


_DATE_TEXT = (r"(\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|[A-Z][a-z]+\.? \d{1,2},? \d{4}|"
              r"\d{1,2}\.? [A-Z][a-z]+\.? \d{4})")


def _availability(field: WantedField, record: LexborNode) -> Found:
    node = _named(field, record)
    if node is not None:
        link = node if node.attributes.get("href") else None
        if link is not None and availability(link.attributes["href"]):
            return node, {"take": "attr", "attribute": "href",
                          "transforms": ["availability"]}, "availability link"
        return node, {"transforms": ["availability"]}, \
            f"class .{_word(node, 'stock')} + availability words"
    for node in record.traverse(include_text=False):
        own = node.text(deep=False) or ""
        if 0 < len(own.strip()) <= 40 and availability(own):
            return node, {"transforms": ["availability"]}, "availability text"
    return None


def _number(field: WantedField, record: LexborNode) -> Found:
    found = _by_name(field, record)
    if found:
        node, spec, source = found
        return node, {**spec, "transforms": ["number"]}, source + " + number"
    return None


_FINDERS: dict[str, Callable[[WantedField, LexborNode], Found]] = {
    "price": _price, "currency": _price, "url": _url, "image": _image, "rating": _rating,
    "date": _date, "availability": _availability, "number": _number, "integer": _number,
}


def finder_for(field: WantedField) -> Callable[[WantedField, LexborNode], Found]:
    if {field.name, field.description} & {"name", "title"} and field.type == "string":
        return _name
    if "text" in (field.name, field.description):
        return _text
    return _FINDERS.get(field.type, _by_name)
