"""Learn a site's detail pages from its samples together (one record per page).

The samples are read side by side: text that is the same on every sample is the template
(labels such as "Publisher:" or "ISBN-13:", navigation, headings of boxes); text that changes is
data. For each wanted field every way of reading it is tried on every sample and the one that
works best wins:

- structured data (itemprop, meta, JSON-LD) and the visible matches of ``core.analysis.detail``;
- **labels**: a short template text that names the field ("ISBN-13", "Publisher:", "Verlag",
  "Date" for a publication date) points at its value: the text right after it, the next
  element (``<dt>``/``<dd>``, ``<th>``/``<td>``), or the rest of its line;
- **the main heading** for a title (the ``h1``, else the heading that the ``<title>`` repeats);
- **narrower nodes**: "by <a>Ann Author</a>" gives the link, "Title <span>(Hardcover)</span>"
  gives the heading's own text, and a label or prefix all samples share is cut off.

A way is kept only if its values have the field's type (a date parses, an ISBN has its digits,
a name is not a paragraph); among those, the one that gives a value on the most samples wins,
then the most trusted source. With two or more samples a way that reads the same text on every
sample is template, not data (the nav's "Browse"), unless a label names it.

    >>> learn_fields([WantedField("publisher", "string")], pages)["publisher"].spec
    {'selector': ".//strong[normalize-space()='Publisher']/following-sibling::text()[1]",
     'selector_type': 'xpath', 'transforms': [{'regex': '^[\\\\s:…]*(.*?)\\\\s*$'}, 'strip']}
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.detail import candidates_on_detail
from core.analysis.matching import Match
from core.analysis.objective import SYNONYMS
from core.analysis.selectors import selector_within
from core.analysis.types import SamplePage, WantedField
from core.platform.errors import ValidationError
from core.scrape.extract import extract_records
from core.scrape.package import PACKAGE_VERSION, parse_package

# Labels in a few languages, per canonical field name (the field's own words always count).
LABELS: dict[str, tuple[str, ...]] = {
    "title": ("title", "titel", "titre", "título", "titolo", "name"),
    "name": ("name", "product name", "titel", "nom", "nombre", "nome"),
    "author": ("author", "authors", "by", "written by", "autor", "autoren", "von", "auteur",
               "auteurs", "par", "autore", "di", "por", "door", "writer"),
    "publisher": ("publisher", "published by", "verlag", "herausgeber", "éditeur", "editeur",
                  "édition", "editorial", "editore", "uitgever", "wydawnictwo", "imprint"),
    "date": ("date", "publication date", "pub date", "published", "publication", "release date",
             "released", "on sale date", "erscheinungsdatum", "erschienen", "erscheinungstermin",
             "datum", "date de publication", "parution", "date de parution", "fecha",
             "fecha de publicación", "data di pubblicazione", "data"),
    "isbn_13": ("isbn 13", "isbn13", "isbn", "ean", "isbn ean"),
    "isbn": ("isbn", "isbn 13", "isbn 10", "isbn13"),
    "sku": ("sku", "item number", "item no", "art nr", "artikelnummer", "art no", "référence",
            "ref", "referencia", "model"),
    "gtin": ("gtin", "ean", "upc", "barcode", "ean 13"),
    "mpn": ("mpn", "part number", "manufacturer part number", "herstellernummer"),
    "brand": ("brand", "manufacturer", "marke", "hersteller", "marque", "marca"),
    "price": ("price", "preis", "prix", "precio", "prezzo", "our price"),
    "pages": ("pages", "page count", "seiten", "seitenzahl", "nombre de pages", "páginas"),
    "language": ("language", "sprache", "langue", "idioma", "lingua"),
    "format": ("format", "binding", "einband", "reliure", "formato"),
}
_CODE_NAMES = re.compile(r"isbn|gtin|ean|upc|barcode")
_VALUE_REGEX = r"^[\s:：\-–—|·•]*(.*?)[\s:：\-–—|·•]*$"  # a value without the punctuation around it
_PREFIX_WORDS = ("by", "von", "par", "de", "por", "door", "di", "av", "af", "przez", "autor",
                 "author", "authors", "written by")
MAX_LABEL = 40
MAX_FALLBACKS = 2


@dataclass
class Candidate:
    spec: dict
    source: str
    trust: float  # higher is more trusted, when two ways give values on as many samples
    labelled: bool = False


def learn_fields(fields: Sequence[WantedField], pages: Sequence[SamplePage],
                 trees: Sequence[LexborHTMLParser] | None = None,
                 avoid: dict[str, list[dict]] | None = None) -> dict[str, Match]:
    """The best way to read each field on pages like ``pages`` (detail pages, one record each):
    ``{name: Match}`` for the fields found; a field found nowhere is absent. ``avoid`` names,
    per field, ways the user marked wrong: they (and their values) are not proposed again."""
    trees = list(trees) if trees is not None else [LexborHTMLParser(p.html) for p in pages]
    found: dict[str, Match] = {}
    for field in fields:
        options = list(candidates(field, pages, trees))
        wrong = [_plain(spec) for spec in (avoid or {}).get(field.name, [])]
        if wrong:
            bad = evaluate(wrong, pages)
            options = [c for c, got in zip(options, evaluate([c.spec for c in options], pages),
                                           strict=True)
                       if _plain(c.spec) not in wrong and got not in bad]
        best = best_candidate(field, options, pages)
        if best is not None:
            found[field.name] = best
    return found


def _plain(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "fallbacks"}


def candidates(field: WantedField, pages: Sequence[SamplePage],
               trees: Sequence[LexborHTMLParser]) -> Iterator[Candidate]:
    """Every way found on any sample to read ``field``, with how much it is trusted."""
    seen: list[dict] = []

    def fresh(candidate: Candidate) -> bool:
        if candidate.spec in seen:
            return False
        seen.append(candidate.spec)
        return True

    for page, tree in zip(pages, trees, strict=True):
        for match in candidates_on_detail(field, page.html, tree):
            for candidate in _from_detail(field, match, tree, pages):
                if fresh(candidate):
                    yield candidate
                for narrower in _without_bracket(field, candidate):
                    if fresh(narrower):
                        yield narrower
        for candidate in labelled(field, tree):
            if fresh(candidate):
                yield candidate
            for narrower in _without_bracket(field, candidate):
                if fresh(narrower):
                    yield narrower
        if field.type == "date":
            for candidate in _bracketed_dates(tree):
                if fresh(candidate):
                    yield candidate
        if _is_title(field):
            for candidate in headings(field, tree):
                if fresh(candidate):
                    yield candidate


def best_candidate(field: WantedField, found: Sequence[Candidate],
                   pages: Sequence[SamplePage]) -> Match | None:
    """The candidate whose values have the field's type on the most samples; ties go to the
    most trusted. A candidate that reads one text on every one of two or more samples is
    template, unless a label names it."""
    if not found:
        return None
    values = evaluate([c.spec for c in found], pages)
    best: tuple[tuple, Candidate] | None = None
    best_values: list[Any] = []
    for candidate, got in zip(found, values, strict=True):
        good = [v for v in got if typed(field, v)]
        if not good:
            continue
        texts = {str(v).casefold() for v in good}
        template = len(pages) > 1 and len(good) == len(pages) and len(texts) == 1 \
            and not candidate.labelled
        key = (len(good), not template, candidate.trust)
        if best is None or key > best[0]:
            best, best_values = (key, candidate), got
    if best is None:
        return None
    _, candidate = best
    by_spec = {repr(c.spec): (c, got) for c, got in zip(found, values, strict=True)}
    if candidate.source.endswith(", without the bracket after it"):
        plain = {**candidate.spec, "transforms": [t for t in candidate.spec["transforms"]
                                                  if t != {"regex": _BRACKET}]}
        same = by_spec.get(repr(plain))
        if same is not None and same[1] == best_values:  # no bracket to cut: the simpler way
            candidate = same[0]
    # Other ways that read exactly the same values on every sample are kept as fallbacks: a
    # page where the first way finds nothing (the site changed) tries them in order.
    # One sample proves too little, and a bare tag ("span") could read anything on a changed
    # page: neither makes a fallback.
    agreeing = sorted((c for c, got in zip(found, values, strict=True)
                       if len(pages) > 1 and c is not candidate and got == best_values
                       and all(typed(field, v) for v in got)
                       and not re.fullmatch(r"[a-z][a-z0-9]*", c.spec.get("selector") or "")
                       and c.spec.get("selector") != candidate.spec.get("selector")
                       and {"regex": _BRACKET} not in c.spec.get("transforms", [])),
                      key=lambda c: -c.trust)
    spec = dict(candidate.spec)
    if agreeing:
        spec["fallbacks"] = [{k: v for k, v in c.spec.items() if k != "fallbacks"}
                             for c in agreeing[:MAX_FALLBACKS]]
    return Match(spec, candidate.source)


def evaluate(specs: Sequence[dict], pages: Sequence[SamplePage]) -> list[list[Any]]:
    """What each spec gives on each page (after its transforms), None where nothing."""
    valid: list[int] = []
    fields: dict[str, dict] = {}
    for index, spec in enumerate(specs):
        try:
            parse_package({"version": PACKAGE_VERSION, "fields": {"f": spec}})
        except ValidationError:
            continue
        valid.append(index)
        fields[f"f{index}"] = spec
    out: list[list[Any]] = [[None] * len(pages) for _ in specs]
    if not fields:
        return out
    for uses_xpath in (False, True):
        subset = {k: s for k, s in fields.items()
                  if (s.get("selector_type") == "xpath") == uses_xpath}
        if not subset:
            continue
        package = parse_package({"version": PACKAGE_VERSION, "fields": subset})
        for column, page in enumerate(pages):
            try:
                records = extract_records(package, page.html, page.url)
            except Exception:  # a page the engine chokes on gives no value to anyone
                continue
            data = records[0].data if records else {}
            for key in subset:
                out[int(key[1:])][column] = data.get(key)
    return out


def typed(field: WantedField, value: Any) -> bool:
    """Whether ``value`` (after transforms) can be this field's value at all."""
    if value is None or value == "" or value == []:
        return False
    if isinstance(value, list):
        return all(typed(field, v) for v in value)
    text = str(value)
    key = f"{field.name} {field.description}".lower()
    if _CODE_NAMES.search(key):
        digits = re.sub(r"[\s-]", "", text)
        return bool(re.fullmatch(r"\d{8,14}|\d{9}[\dXx]", digits))
    if field.type == "string" and (_is_title(field) or field.name in _NAMES):
        words = text.split()
        if len(text) > (300 if _is_title(field) else 150) or not words:
            return False
        if field.name in _NAMES and (len(words) > 12 or re.search(r"\d{4}", text)):
            return False  # "Zondervan / 2010 / Hardcover" is not a publisher
        if not _is_title(field) and re.search(r"[:：]\s*$", text):
            return False  # a label, not its value
    return True


_NAMES = ("author", "publisher", "brand", "manufacturer", "vendor", "seller")


# --- Labels ------------------------------------------------------------------------------------

def label_words(field: WantedField) -> list[tuple[str, bool]]:
    """Keys (letters and digits only) of the labels that may name ``field``, each with whether
    it names it exactly (``True``) or by a part of its name (``False``: "Date" for
    publication_date)."""
    names = [n for n in (field.name, field.description) if n]
    exact: list[str] = []
    for name in names:
        words = re.findall(r"[A-Za-z0-9]+", name.replace("_", " ").lower())
        exact.append(" ".join(words))
        exact += LABELS.get("_".join(words), ())
    exact += LABELS.get(field.name, ())
    exact += [s for s, (canonical, _) in SYNONYMS.items() if canonical == field.name]
    keys = {_key(word): True for word in exact if _key(word)}
    for name in names:  # the last word of a longer name: "publication_date" → "date"
        words = re.findall(r"[a-z0-9]+", name.replace("_", " ").lower())
        if len(words) > 1 and len(words[-1]) >= 4:
            keys.setdefault(_key(words[-1]), False)
    return list(keys.items())


def _key(text: str) -> str:
    return re.sub(r"[\W_]", "", text.casefold())


def labelled(field: WantedField, tree: LexborHTMLParser) -> Iterator[Candidate]:
    """Ways to read the value that a label naming ``field`` points at on this page."""
    if tree.body is None:
        return
    keys = dict(label_words(field))
    transforms = _kind_transforms(field)
    for node in tree.body.traverse(include_text=False):
        if node.tag in ("script", "style", "option", "select", "title", "head", "button"):
            continue
        if node.tag == "a":
            yield from _role_after(node, keys, transforms)
            continue
        own = " ".join((node.text(deep=False) or "").split())
        deep = " ".join((node.text(deep=True) or "").split())
        if not deep or len(deep) > MAX_LABEL * 4:
            continue
        label = deep if len(deep) <= MAX_LABEL else None
        if label and _key(label) in keys and "'" not in label:
            trust = 4.0 if keys[_key(label)] else 3.5
            yield from _after_label(node, label, transforms, trust)
        elif own and "'" not in own and _key(own) in keys and node.css_first("*"):
            # "von <a>Anna Berger</a>": the element's own text is the label, a child the value
            trust = 3.8 if keys[_key(own)] else 3.3
            yield Candidate({"selector": f".//{node.tag}[normalize-space(text())='{own}']/*[1]",
                             "selector_type": "xpath", "transforms": transforms},
                            f"the element after the label '{own}'", trust, True)
        elif own and "'" not in own:  # "Verlag: Acme" in one text: the label starts the text
            head = re.match(r"^([^:：]{1,%d})[:：]\s*\S" % MAX_LABEL, own)
            if head and _key(head.group(1)) in keys and not node.css_first("*"):
                trust = 3.9 if keys[_key(head.group(1))] else 3.4
                prefix = head.group(1).strip()
                yield Candidate({"selector": f".//{node.tag}[starts-with(normalize-space(), "
                                             f"'{prefix}')]",
                                 "selector_type": "xpath",
                                 "transforms": [{"regex": rf"^\s*{_words_regex(prefix)}\s*[:：]"
                                                          rf"\s*(.*?)\s*$"}, *transforms]},
                                f"the text after the label '{prefix}:'", trust, True)


def _role_after(link: LexborNode, keys: dict[str, bool], transforms: list
                ) -> Iterator[Candidate]:
    """``<a>Ann Author</a> (Author)``: a role in brackets right after a link names its value."""
    after = link.next
    text = " ".join((after.text() or "").split()) if after is not None and \
        after.tag == "-text" else ""
    role = re.match(r"^\(([^()]{1,%d})\)" % MAX_LABEL, text)
    if role is None or _key(role.group(1)) not in keys or "'" in role.group(0):
        return
    yield Candidate({"selector": f".//a[following-sibling::text()[1][starts-with("
                                 f"normalize-space(), '{role.group(0)}')]]",
                     "selector_type": "xpath", "transforms": transforms},
                    f"the link before its role '{role.group(0)}'",
                    3.7 if keys[_key(role.group(1))] else 3.2, True)


def _after_label(node: LexborNode, label: str, transforms: list, trust: float
                 ) -> Iterator[Candidate]:
    at = f".//{node.tag}[normalize-space()='{label}']"
    strip = {"regex": _VALUE_REGEX}
    yield Candidate({"selector": f"{at}/following-sibling::text()[1]", "selector_type": "xpath",
                     "transforms": [strip, *transforms]},
                    f"the text right after the label '{label}'", trust + 0.3, True)
    yield Candidate({"selector": f"{at}/following-sibling::*[1]", "selector_type": "xpath",
                     "transforms": [strip, *transforms]},
                    f"the element after the label '{label}'", trust + 0.2, True)
    parent = node.parent
    if parent is not None and parent.tag not in ("body", "html"):
        yield Candidate({"selector": f"{at}/..", "selector_type": "xpath",
                         "transforms": [{"regex": rf"(?s)^\s*{_words_regex(label)}"
                                                  rf"[\s:：\-–—|]*(.*?)\s*$"}, *transforms]},
                        f"the rest of the line after the label '{label}'", trust, True)


_BRACKET = r"^(.*?)\s*(?:[(\[][^()\[\]]*[)\]])?\s*$"


def _without_bracket(field: WantedField, candidate: Candidate) -> Iterator[Candidate]:
    """A name without the bracket after it: "Ann Author (Author)", "Acme (June 1, 2010)"."""
    transforms = candidate.spec.get("transforms") or []
    if field.name not in _NAMES or not transforms or transforms[-1] != "strip" \
            or candidate.spec.get("take") == "attr":
        return
    yield Candidate({**candidate.spec, "transforms": [*transforms[:-1], {"regex": _BRACKET},
                                                      "strip"]},
                    f"{candidate.source}, without the bracket after it",
                    candidate.trust + 0.05, candidate.labelled)


_BRACKETED_DATE = re.compile(r"\(([^()]*\b\d{4}\b[^()]*)\)")


def _bracketed_dates(tree: LexborHTMLParser) -> Iterator[Candidate]:
    """A date in brackets on a labelled line ("Publisher: Acme (June 1, 2010)"): the date a
    page prints beside its publisher or edition."""
    body = tree.body
    if body is None:
        return
    for node in body.css("b, strong, th, dt, label, span"):
        label = " ".join((node.text(deep=True) or "").split())
        if not label or len(label) > MAX_LABEL or "'" in label or not label.endswith(":"):
            continue
        after = node.next
        text = (after.text() or "") if after is not None and after.tag == "-text" else ""
        if _BRACKETED_DATE.search(text):
            yield Candidate({"selector": f".//{node.tag}[normalize-space()='{label}']"
                                         "/following-sibling::text()[1]",
                             "selector_type": "xpath",
                             "transforms": [{"regex": _BRACKETED_DATE.pattern}, "date"]},
                            f"the date in brackets after the label '{label}'", 2.5, True)


def _words_regex(text: str) -> str:
    return r"\s+".join(re.escape(word) for word in text.split())


def _kind_transforms(field: WantedField) -> list[Any]:
    if field.type == "date":
        return ["date"]
    if field.type in ("number", "integer", "rating"):
        return ["number"]
    if field.type == "price":
        return ["price"]
    return ["strip"]


# --- Titles ------------------------------------------------------------------------------------

def _is_title(field: WantedField) -> bool:
    return field.type == "string" and bool({field.name, field.description} & {"title", "name"})


def headings(field: WantedField, tree: LexborHTMLParser) -> Iterator[Candidate]:
    """The page's main heading: its ``h1``; else the heading the ``<title>`` repeats most."""
    body = tree.body
    if body is None:
        return
    title_node = tree.css_first("title")
    title = " ".join((title_node.text() if title_node is not None else "").split())
    found = [n for n in body.css("h1, h2, h3") if (n.text(deep=True) or "").strip()]
    h1s = [n for n in found if n.tag == "h1"]
    ranked = h1s[:1] or sorted(found, key=lambda n: -_overlap(n, title))[:1]
    for node in ranked:
        if node.tag != "h1" and _overlap(node, title) < 0.5:
            continue
        trust = 4.5 if node.tag == "h1" else 4.2
        query = selector_within(body, node) or str(node.tag)
        yield Candidate({"selector": query, "transforms": ["strip"]},
                        f"the page's main heading ({node.tag})", trust)
        inner = _unwrapped(node)  # <h1><span id="t">Title <span>[Hardcover]</span></span></h1>
        inner_query = query if inner is node else selector_within(body, inner)
        own = _own_text_query(inner, inner_query) if inner_query else None
        if own:
            yield Candidate({"selector": own, "selector_type": "xpath", "transforms": ["strip"]},
                            f"the main heading's own text ({node.tag}, without its "
                            "parenthesised suffix)", trust + 0.2)


def _unwrapped(node: LexborNode) -> LexborNode:
    """The element inside wrappers that hold nothing but it (no text of their own)."""
    while True:
        children = [c for c in node.iter(include_text=True)
                    if c.tag != "-comment" and not (c.tag == "-text" and not (c.text() or "").strip())]
        if len(children) != 1 or children[0].tag == "-text":
            return node
        node = children[0]


def _overlap(node: LexborNode, title: str) -> float:
    """Share of the heading's words that the ``<title>`` also has."""
    words = re.findall(r"\w+", (node.text(deep=True) or "").casefold())
    have = set(re.findall(r"\w+", title.casefold()))
    return sum(w in have for w in words) / len(words) if words else 0.0


def _own_text_query(node: LexborNode, query: str) -> str | None:
    """An XPath for the node's first own text when its child elements only add a trailing
    suffix in brackets: "Title <span>(Hardcover)</span>" → "Title"."""
    from cssselect import HTMLTranslator, SelectorError

    children = list(node.iter(include_text=True))
    texts = [c for c in children if c.tag == "-text" and (c.text() or "").strip()]
    elements = [c for c in children if c.tag not in ("-text", "-comment")]
    if not texts or not elements or children.index(texts[0]) > children.index(elements[0]):
        return None
    suffix = " ".join(" ".join((e.text(deep=True) or "").split()) for e in elements).strip()
    if not re.fullmatch(r"[(\[].*[)\]]|[-–|:]\s*.+", suffix) or len(suffix) > 60:
        return None
    try:
        xpath = HTMLTranslator().css_to_xpath(query, prefix="descendant-or-self::")
    except SelectorError:
        return None
    return f"({xpath})[1]/text()[normalize-space()][1]"


# --- Narrower ways from a visible match --------------------------------------------------------

def _from_detail(field: WantedField, match: Match, tree: LexborHTMLParser,
                 pages: Sequence[SamplePage]) -> Iterator[Candidate]:
    """A match of ``core.analysis.detail`` with its trust, and narrower ways from it."""
    source = match.source
    structured = source.startswith(("itemprop", "meta", "JSON-LD"))
    trust = 5.0 if structured else 3.0
    if structured and _is_title(field) and source.startswith("meta"):
        trust = 4.0  # og:title often adds the shop's name
    yield Candidate(match.spec, source, trust)
    spec = match.spec
    if structured or spec.get("selector_type") in ("xpath", "jsonld") or not spec.get("selector") \
            or spec.get("take") == "attr" or tree.body is None:
        return
    node = tree.body.css_first(spec["selector"])
    if node is None:
        return
    deep = " ".join((node.text(deep=True) or "").split())
    for child in node.iter(include_text=False):
        text = " ".join((child.text(deep=True) or "").split())
        if not text or text == deep or not deep.endswith(text):
            continue
        head = deep[: len(deep) - len(text)].strip().rstrip(":").strip().casefold()
        if head in _PREFIX_WORDS or (head and len(head.split()) <= 2 and
                                     _key(head) in dict(label_words(field))):
            yield Candidate({**spec, "selector": f"{spec['selector']} {child.tag}"},
                            f"{source}, without its prefix '{head}'", trust + 0.5)
            break
    prefix = re.match(r"^(%s)\s*[:：]?\s+\S" % "|".join(map(re.escape, _PREFIX_WORDS)), deep,
                      re.IGNORECASE)
    if prefix:
        yield Candidate({**spec, "transforms": [
            {"regex": rf"(?si)^\s*(?:{'|'.join(map(re.escape, _PREFIX_WORDS))})\s*[:：]?\s+"
                      r"(.*?)\s*$"},
            *[t for t in spec.get("transforms", []) if t != "strip"], "strip"]},
            f"{source}, without the prefix '{prefix.group(1)}'", trust + 0.4)
