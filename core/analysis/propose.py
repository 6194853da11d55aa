"""From an objective and sample pages to a proposed JSON Schema and config package."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from selectolax.lexbor import LexborHTMLParser, LexborNode

from core.analysis.containers import find_container
from core.analysis.detail import candidates_on_detail
from core.analysis.kinds import page_kind
from core.analysis.learn import learn_fields
from core.analysis.pagination import detect_pagination
from core.analysis.matching import Match, match_in_records
from core.analysis.objective import wanted_fields
from core.analysis.samples import run_samples
from core.analysis.selectors import safe_css
from core.analysis.schema import schema_for
from core.analysis.structured import structured_data
from core.analysis.types import Proposal, SamplePage, WantedField
from core.platform.errors import ValidationError
from core.platform.words import counted
from core.scrape.dom import css_problem
from core.scrape.package import PACKAGE_VERSION, parse_package
from vocabularies import PaginationType

DEFAULT_FIELDS = {
    "list": [WantedField("name", "string"), WantedField("price", "price"),
             WantedField("url", "url"), WantedField("image", "image")],
    "detail": [WantedField("name", "string"), WantedField("price", "price"),
               WantedField("currency", "currency"), WantedField("sku", "string"),
               WantedField("brand", "string"), WantedField("availability", "availability"),
               WantedField("image", "image")],
    "article": [WantedField("title", "string"), WantedField("author", "string"),
                WantedField("date", "date"), WantedField("text", "string")],
}


def propose(objective: str, pages: Sequence[SamplePage], *, start_from: dict | None = None,
            extra_fields: Sequence[WantedField] = (),
            avoid: dict[str, list[dict]] | None = None) -> Proposal:
    """Classify the pages, find the record container on list pages, match each wanted field
    (from the objective, plus ``extra_fields``) and emit a schema and a package.

    ``start_from`` is a stored package (from the knowledge base): its fields that give values on
    all these pages are kept as they are; the others are analysed again. ``avoid``: per field,
    specs marked wrong, which (with what they read) are not proposed again. Raises
    ``ValidationError`` when there are no pages."""
    if not pages:
        raise ValidationError("Give at least one sample page to analyse.")
    trees = [LexborHTMLParser(page.html) for page in pages]
    kinds = {page.url: page_kind(page.html, page.url, tree=tree,
                                 data=structured_data(page.html, page.url))
             for page, tree in zip(pages, trees, strict=True)}
    kind = Counter(kinds.values()).most_common(1)[0][0]
    notes: list[str] = [_kinds_note(kinds)]
    fields = _unique([*wanted_fields(objective), *extra_fields])
    if not fields:
        fields = DEFAULT_FIELDS[kind]
        notes.append("The objective names no fields I know; proposing what a "
                     f"{kind} page usually offers: {', '.join(f.name for f in fields)}.")
    kept, container = _kept_from(start_from, pages, notes)
    if container:  # the stored package's records are found on these pages: they are lists
        kind = "list"
    fields += [_kind_from_spec(name, match.spec) for name, match in kept.items()
               if name not in {f.name for f in fields}]
    if kind == "list":
        container = container or _common_container(pages, trees, notes)
        if container is None:
            kind = "detail"
    matches: dict[str, Match] = {}
    learned: dict[str, Match] = {}
    if kind != "list" or container is None or not kept:
        learned = learn_fields([f for f in fields if f.name not in kept], pages, trees, avoid)
    if kind == "list" and container is not None and not kept:
        listed = {f.name: m for f in fields if (m := _match(f, kind, container, pages, trees))}
        if _covered(learned, pages, inside=(container, trees)) > \
                _covered(listed, pages, container):
            notes.append(f"The samples also list other items ('{container}'), but what the "
                         "objective asks for is about each page itself: one record per page.")
            kind, container = "detail", None
            notes[0] = _kinds_note({url: "detail" for url in kinds})
    for field in fields:
        if field.name in kept:
            matches[field.name] = kept[field.name]
            continue
        match = learned.get(field.name) if kind != "list" else \
            _match(field, kind, container, pages, trees)
        if match is not None and not _valid(field.name, match, container if kind == "list"
                                            else None):
            match = None  # a selector built from odd page markup that the engine refuses
        if match is not None:
            matches[field.name] = match
        else:
            notes.append(f"Could not find '{field.name}' on the samples: paste a value you see "
                         "on the page to add it, or rename it to what the page calls it.")
    pagination, next_page = {"type": PaginationType.NONE}, None
    if kind == "list" and container:
        found = detect_pagination(pages[0].html, pages[0].url)
        pagination, next_page = found.pagination, found.next_url
        notes.append(found.note)
    package = {"version": PACKAGE_VERSION, "container": container if kind == "list" else None,
               "fields": {name: m.spec for name, m in matches.items()},
               "pagination": pagination, "render": {"javascript": False, "wait_for": None}}
    if not matches:
        notes.append("Nothing the objective asks for was found; the package is empty.")
        return Proposal(schema_for(fields), package, kinds, {}, notes)
    parse_package(package)  # a proposal the engine refuses is a bug here, not the user's problem
    report = run_samples(package, pages)
    for name, sample in report.fields.items():
        if sample.flagged:
            notes.append(f"'{name}' was found on {sample.hits} of {sample.total} samples.")
    required = [n for n in ("name", "title") if n in report.fields
                and report.fields[n].hits == len(pages)]
    schema = schema_for([f for f in fields if f.name in matches], required=required)
    return Proposal(schema, package, kinds, {n: m.source for n, m in matches.items()}, notes,
                    next_page)


def _kind_from_spec(name: str, spec: dict) -> WantedField:
    """A kept field the objective does not name: its kind read from its transforms."""
    names = [t if isinstance(t, str) else next(iter(t)) for t in spec.get("transforms", [])]
    kinds = {"price": "price", "currency": "currency", "number": "number", "date": "date",
             "availability": "availability", "absolute_url": "url"}
    kind = next((kinds[n] for n in reversed(names) if n in kinds), "string")
    return WantedField(name, kind)


def _kinds_note(kinds: dict[str, str]) -> str:
    counts = Counter(kinds.values())
    return "Samples: " + ", ".join(counted(n, f"{kind} page")
                                   for kind, n in counts.items()) + "."


def _unique(fields: Sequence[WantedField]) -> list[WantedField]:
    seen: dict[str, WantedField] = {}
    for field in fields:
        seen.setdefault(field.name, field)
    return list(seen.values())


def _kept_from(start_from: dict | None, pages: Sequence[SamplePage],
               notes: list[str]) -> tuple[dict[str, Match], str | None]:
    """The stored package's fields that give a value on every sample (and its container)."""
    if not start_from:
        return {}, None
    try:
        report = run_samples(start_from, pages)
    except ValidationError:
        notes.append("The stored package could not be read; analysing from scratch.")
        return {}, None
    kept = {name: Match(start_from["fields"][name], "kept from the knowledge base")
            for name, sample in report.fields.items() if sample.hits == sample.total}
    notes.append(f"Started from a stored package: kept {len(kept)} of {len(report.fields)} "
                 "fields that work on these samples.")
    container = start_from.get("container") if kept else None
    return kept, container if isinstance(container, str) else None


def _common_container(pages: Sequence[SamplePage], trees: list[LexborHTMLParser],
                      notes: list[str]) -> str | None:
    """A container selector that finds records on every list sample."""
    found = [find_container(tree) for tree in trees]
    options = [c.selector for c in found if c is not None and not css_problem(c.selector)]
    for selector in options:
        if all(safe_css(tree, selector) for tree in trees):
            counts = ", ".join(str(len(safe_css(tree, selector))) for tree in trees)
            notes.append(f"Records: '{selector}' ({counts} per sample).")
            return selector
    if options:
        notes.append(f"Records: '{options[0]}' (not found on every sample).")
        return options[0]
    notes.append("No repeated record element found; treating each page as one record.")
    return None


def _match(field: WantedField, kind: str, container: str | None,
           pages: Sequence[SamplePage], trees: list[LexborHTMLParser]) -> Match | None:
    if kind == "list" and container:
        records = [node for tree in trees for node in safe_css(tree, container)]
        match = match_in_records(field, records)
        if match is not None and field.type == "price":
            match = _current_price(match, records)
        return match
    # Each sample may suggest a different way in; keep the one that works on the most samples.
    best: tuple[int, Match] | None = None
    tried: list[dict] = []
    for page, tree in zip(pages, trees, strict=True):
        for match in candidates_on_detail(field, page.html, tree):
            if match.spec in tried:
                continue
            tried.append(match.spec)
            hits = _hits(field.name, match, pages)
            if best is None or hits > best[0]:
                best = (hits, match)
            if hits == len(pages):
                return match
    return best[1] if best else None


def _covered(found: dict[str, Match], pages: Sequence[SamplePage], container: str | None = None,
             *, inside: tuple[str, list[LexborHTMLParser]] | None = None) -> int:
    """How many fields give a value on every sample. With ``inside`` (a record selector and
    the samples' trees), a page-level value that one of the records shows is not counted: it is
    a record's value (the first product's price), not the page's."""
    if not found:
        return 0
    package = {"version": PACKAGE_VERSION, "container": container,
               "fields": {name: m.spec for name, m in found.items()}}
    try:
        report = run_samples(package, pages)
    except ValidationError:
        return 0
    records = ""
    if inside is not None:
        records = " ".join(" ".join(node.text(deep=True).split()).casefold()
                           for tree in inside[1] for node in safe_css(tree, inside[0]))
    return sum(1 for sample in report.fields.values() if sample.hits == sample.total
               and not (records and any(str(v).casefold() in records for v in sample.values)))


_STRUCK = "del, s, strike"


def _current_price(match: Match, records: Sequence[LexborNode]) -> Match:
    """On sale records the price element often holds the struck-out old price and the new one
    (``<del>$20</del> <ins>$15</ins>``): read the ``ins`` there, and the element itself on
    records without a sale (a fallback)."""
    query = match.spec.get("selector")
    if not query or match.spec.get("take") == "attr" or match.spec.get("selector_type"):
        return match
    on_sale = 0
    for record in records:
        node = next(iter(safe_css(record, query)), None)
        if node is not None and node.css_first(_STRUCK) is not None:
            if node.css_first("ins") is None:
                return match  # struck-out text without an ins: nothing safer to point at
            on_sale += 1
    if not on_sale:
        return match
    plain = {k: v for k, v in match.spec.items() if k != "fallbacks"}
    return Match({**plain, "selector": f"{query} ins", "fallbacks": [plain]},
                 f"{match.source}; the ins price on sale items ({on_sale} of {len(records)}), "
                 "not the struck-out one")


def _valid(name: str, match: Match, container: str | None) -> bool:
    try:
        parse_package({"version": PACKAGE_VERSION, "container": container,
                       "fields": {name: match.spec}})
    except ValidationError:
        return False
    return True


def _hits(name: str, match: Match, pages: Sequence[SamplePage]) -> int:
    package = {"version": PACKAGE_VERSION, "fields": {name: match.spec}}
    try:
        return run_samples(package, pages).fields[name].hits
    except ValidationError:
        return 0
