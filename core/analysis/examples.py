"""Find a field from a value the user pasted ("I see 24.99 on the page").

The element holding the value is looked up on the samples (inside the package's records when it
has a container); the field gets a stable selector for that element (class, itemprop or attribute
over position), transforms chosen from what the value looks like (a price, a number, a date, a
URL, an availability text), and is then run on every sample to show what it gives there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.enums import availability
from core.analysis.samples import run_samples
from core.analysis.selectors import is_stable, safe_css, selector_within
from core.analysis.types import ExampleMatch, SamplePage
from core.scrape.package import PACKAGE_VERSION

_SKIP = {"script", "style", "noscript", "template", "-text", "-comment", "html"}
_ATTRIBUTES = ("content", "title", "alt", "aria-label", "value", "datetime", "href", "src")
_PRICE = re.compile(r"^(?:[^\d\s]{1,3}\s?)?\d[\d.,\s]*(?:\s?[^\d\s]{1,3})?$")
_PROBE = "example"


def find_field_for_example(pages: Sequence[SamplePage], example: str,
                           package: dict) -> ExampleMatch | None:
    """Find the element holding ``example`` on the first page where it appears (inside the
    package's container when there is one), build a stable selector for it, choose transforms
    from the value's type, and check it on the other samples. None when the value is on no
    sample (or is empty)."""
    wanted = _normal(example)
    if not wanted:
        return None
    container = _container_query(package.get("container"))
    for page in pages:
        tree = LexborHTMLParser(page.html)
        roots = safe_css(tree, container) if container else [tree.root]
        for root in roots:
            found = _holder(root, wanted)
            if found is None:
                continue
            node, attribute = found
            spec = _spec(root, node, attribute, example)
            values = _check(spec, package.get("container"), pages)
            where = f"attribute {attribute} of" if attribute else "text of"
            source = (f"{where} {spec['selector'] or 'the record'} (found {example.strip()!r} on "
                      f"{page.url}); gives a value on {sum(v is not None for v in values)} of "
                      f"{len(pages)} samples")
            return ExampleMatch(field=spec, values=values, source=source)
    return None


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _container_query(container: Any) -> str | None:
    if isinstance(container, str):
        return container
    if isinstance(container, dict) and container.get("selector_type", "css") == "css":
        return container.get("selector")
    return None


def _holder(root: LexborNode, wanted: str) -> tuple[LexborNode, str | None] | None:
    """The element whose text says ``wanted`` most closely (the deepest, shortest one), or whose
    attribute holds it."""
    best: tuple[int, LexborNode, str | None] | None = None
    for node in root.traverse(include_text=False):
        if node.tag in _SKIP or _inside_skipped(node, root):
            continue
        text = _normal(node.text(deep=True) or "")
        if wanted in text:
            extra = len(text) - len(wanted)
            # "<=": traversal goes parent first, so the same text deeper down wins
            if best is None or extra <= best[0]:
                best = (extra, node, None)
        names = [n for n in node.attributes if n in _ATTRIBUTES or n.startswith("data-")]
        for name in names:
            value = _normal(node.attributes.get(name) or "")
            if value and (value == wanted or (wanted in value and len(value) < 3 * len(wanted))):
                extra = len(value) - len(wanted)
                if best is None or extra < best[0]:
                    best = (extra, node, name)
    if best is None:
        return None
    return best[1], best[2]


def _inside_skipped(node: LexborNode, root: LexborNode) -> bool:
    parent = node.parent
    while parent is not None and parent.mem_id != root.mem_id:
        if parent.tag in ("script", "style", "noscript", "template"):
            return True
        parent = parent.parent
    return False


def _spec(root: LexborNode, node: LexborNode, attribute: str | None, example: str) -> dict:
    query = selector_within(root, node)
    spec: dict[str, Any] = {"selector": query}
    if query is not None and not is_stable(query):
        labelled = _after_label(node)
        if labelled:
            spec = {"selector": labelled, "selector_type": "xpath"}
    if attribute:
        spec.update(take="attr", attribute=attribute)
        taken = node.attributes.get(attribute) or ""
    else:
        taken = " ".join((node.text(deep=True) or "").split())
    spec["transforms"] = _transforms(example.strip(), taken)
    return spec


def _after_label(node: LexborNode) -> str | None:
    """``.//th[normalize-space()='SKU:']/following-sibling::td[1]``: the element right after a
    short label ("SKU:", a ``<th>`` or ``<dt>``), which survives rows moving around."""
    label = node.prev
    while label is not None and (label.tag == "-text" and not (label.text() or "").strip()):
        label = label.prev
    if label is None or label.tag in ("-text", "-comment"):
        return None
    text = " ".join((label.text(deep=True) or "").split())
    if not text or len(text) > 30 or "'" in text:
        return None
    if not (text.endswith(":") or label.tag in ("th", "dt", "label", "b", "strong")):
        return None
    return f".//{label.tag}[normalize-space()='{text}']/following-sibling::{node.tag}[1]"


def _transforms(example: str, taken: str) -> list[Any]:
    """Transforms that turn what the selector takes into the kind of value the example is."""
    from price_parser import Price

    if re.match(r"^(?:https?://|/)\S+$", example):
        return ["absolute_url"]
    price = Price.fromstring(example)
    if _PRICE.match(example) and price.amount is not None and price.currency is not None:
        return ["price"]
    if re.fullmatch(r"\W*[-+]?\d{1,7}(?:[.,]\d+)?\W*", example):  # longer: a code (EAN, ID)
        return ["number"] if _normal(taken) == _normal(example) else [
            {"regex": _context_regex(example, taken, r"([-+]?\d+(?:[.,]\d+)?)")}, "number"]
    if len(example) <= 40 and availability(example) and not re.search(r"\d", example):
        return ["availability"]
    if _normal(taken) == _normal(example):
        return ["strip"]
    if _looks_like_date(example):
        return [{"regex": re.escape(example).replace(r"\ ", r"\s+")}, "date"]
    value = r"(\S+)" if " " not in example else "(" + re.escape(example) + ")"
    return [{"regex": _context_regex(example, taken, value)}, "strip"]


def _context_regex(example: str, taken: str, value: str) -> str:
    """``SKU:\\s*(\\S+)``: the label right before the example on the page, then the value."""
    index = _normal(taken).find(_normal(example))
    before = " ".join(taken.split())[:index] if index > 0 else ""
    label = re.split(r"[.!?|·•]\s", before)[-1].strip()[-25:]
    return (re.escape(label) + r"\s*" if label else "") + value


def _looks_like_date(text: str) -> bool:
    return bool(re.search(r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|"
                          r"\b\d{1,2}\s+[A-Za-z]{3,}\.?\s+\d{4}\b|[A-Za-z]{3,}\.?\s+\d{1,2},?\s+\d{4}",
                          text))


def _check(spec: dict, container: Any, pages: Sequence[SamplePage]) -> list[Any]:
    package = {"version": PACKAGE_VERSION, "container": container, "fields": {_PROBE: spec}}
    return run_samples(package, pages).fields[_PROBE].values
