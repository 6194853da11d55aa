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
from core.platform.words import counted
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
    sample (or is empty).

    On pages without a container the samples are read together: besides the element's own
    selector, the label in front of the value ("ISBN-13: …"), the heading's own text and the
    narrower element are tried, and the way that reads exactly the example on its page and a
    value on the most samples wins."""
    wanted = _normal(example)
    if not wanted:
        return None
    container = _container_query(package.get("container"))
    for page in pages:
        tree = LexborHTMLParser(page.html)
        roots = safe_css(tree, container) if container else [r for r in [tree.root] if r]
        for root in roots:
            if root is None:
                continue
            found = _holder(root, wanted)
            if found is None:
                continue
            node, attribute = found
            spec = _spec(root, node, attribute, example)
            if not package.get("container"):
                spec = _best_on_samples(spec, root, node, attribute, example, page, pages)
            values = _check(spec, package.get("container"), pages)
            where = f"attribute {attribute} of" if attribute else "text of"
            source = (f"{where} {spec['selector'] or 'the record'} (found {example.strip()!r} on "
                      f"{page.url}); gives a value on {sum(v is not None for v in values)} of "
                      f"{counted(len(pages), 'sample')}")
            return ExampleMatch(field=spec, values=values, source=source)
    return None


def seen_on_samples(pages: Sequence[SamplePage], example: str) -> bool:
    """Whether ``example`` is shown on at least one sample (its text or a value attribute)."""
    wanted = _normal(example)
    if not wanted:
        return False
    for page in pages:
        root = LexborHTMLParser(page.html).root
        if wanted in _normal(_entities(page.html)) or \
                (root is not None and _holder(root, wanted) is not None):
            return True
    return False


def _entities(html: str) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


def _best_on_samples(spec: dict, root: LexborNode, node: LexborNode, attribute: str | None, example: str,
                     page: SamplePage, pages: Sequence[SamplePage]) -> dict:
    """Among the element's own selector and the narrower or labelled ways to the same value,
    the one that reads exactly ``example`` on ``page`` and a value on the most samples."""
    from core.analysis import learn

    # the element's own labelled selector with no cutting is the simplest way: it wins ties
    plain = spec.get("selector_type") == "xpath" and not any(
        isinstance(t, dict) for t in spec.get("transforms", []))
    options: list[tuple[dict, float]] = [(spec, 3.0 if plain else 1.0)]
    typing = [t for t in spec.get("transforms", []) if t in ("price", "number", "date",
                                                             "availability")] or ["strip"]
    if _looks_like_date(example) and "date" not in typing:
        typing = ["date"]
    if not attribute:
        for label, label_node in _labels_before(node, example):
            for candidate in learn._after_label(label_node, label, typing, 2.0):
                options.append((candidate.spec, candidate.trust))
        body = root.css_first("body") or root
        query = selector_within(body, node)
        own = learn._own_text_query(node, query) if query else None
        if own:
            options.append(({"selector": own, "selector_type": "xpath",
                             "transforms": ["strip"]}, 2.5))
    values = learn.evaluate([o[0] for o in options], pages)
    index = [p.url for p in pages].index(page.url)
    best: tuple[tuple, dict] | None = None
    for (option, trust), got in zip(options, values, strict=True):
        if not _same_value(got[index], example, option):
            continue
        key = (sum(v not in (None, "", []) for v in got), trust)
        if best is None or key > best[0]:
            best = (key, option)
    return best[1] if best else spec


def _labels_before(node: LexborNode, example: str) -> list[tuple[str, LexborNode]]:
    """Short label elements right before the example inside its element: ``<li><strong>ISBN-13
    </strong>: 978…</li>`` gives ("ISBN-13", the strong)."""
    found = []
    for child in node.iter(include_text=False):
        text = " ".join((child.text(deep=True) or "").split())
        if not text or len(text) > 40 or "'" in text or _normal(example) in _normal(text):
            continue
        rest = _normal(node.text(deep=True) or "")
        if rest.find(_normal(text)) < rest.find(_normal(example)):
            found.append((text, child))
    previous = node.prev
    while previous is not None and previous.tag == "-text" and not (previous.text() or "").strip():
        previous = previous.prev
    if previous is not None and previous.tag not in ("-text", "-comment"):
        text = " ".join((previous.text(deep=True) or "").split())
        if text and len(text) <= 40 and "'" not in text:
            found.append((text, previous))
    return found[:3]


def _same_value(value: Any, example: str, spec: dict) -> bool:
    """Whether ``value`` (what a spec gave) is the example, read the way the spec types it."""
    from core.scrape.transforms import Transform, apply_transform

    if value in (None, "", []):
        return False
    last = (spec.get("transforms") or ["strip"])[-1]
    if isinstance(last, str) and last in ("date", "price", "number"):
        return value == apply_transform(Transform(last), example.strip(), "")
    return _normal(str(value)).strip(" :-–|") == _normal(example).strip(" :-–|")


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
