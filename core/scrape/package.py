"""The config package: a versioned JSON document that tells the engine how to extract a page.

A package is what the builder proposes, the user corrects, the knowledge base stores and a job
runs. Executing one is deterministic and needs no model. Format (version 1)::

    {
      "version": 1,
      "container": "div.product",
      "fields": {
        "name":   {"selector": "h2", "transforms": ["strip"], "required": true},
        "price":  {"selector": ".price", "transforms": ["price"]},
        "url":    {"selector": "a", "take": "attr", "attribute": "href",
                   "transforms": ["absolute_url"]},
        "tags":   {"selector": ".tag", "all": true, "transforms": ["strip", {"join": ", "}]},
        "sku":    {"selector": "./@data-sku", "selector_type": "xpath"},
        "brand":  {"selector": "Product.brand.name", "selector_type": "jsonld"}
      },
      "pagination": {"type": "next_button", "selector": "a.next"},
      "render": {"javascript": false, "wait_for": null}
    }

``version``
    Required; 1 is the only version so far.
``container``
    Optional. A CSS selector for the element that holds one record on a list page (one record per
    match), or ``{"selector": "...", "selector_type": "xpath"}``; ``null`` or absent: the whole
    page is one record.
``fields``
    Required, at least one, in output order. Per field:

    - ``selector`` (required): where the value is, relative to the container when there is one.
      ``null`` takes the container element itself (the page's root without a container).
    - ``selector_type``: ``"css"`` (default), ``"xpath"`` or ``"jsonld"``. Inside a container an
      XPath must be relative (``.//span``, not ``//span``). A ``jsonld`` selector is a path into
      the page's JSON-LD that starts with a schema.org type, ``"Product.offers.price"`` (see
      ``core.scrape.jsonld``); it reads the page's structured data whatever the container, and
      ``take`` does not apply.
    - ``take``: ``"text"`` (default; all text inside the element), ``"html"`` (its inner HTML)
      or ``"attr"`` with ``"attribute": "href"``.
    - ``all``: ``false`` (default) takes the first match; ``true`` gives the list of all matches.
    - ``transforms``: applied in order — ``strip``, ``number``, ``price``, ``currency``, ``date``,
      ``absolute_url``, ``{"regex": "..."}``, ``{"json": "offers.price"}``, ``{"join": ", "}``,
      ``{"map": {"£": "GBP", "Three": 3}}`` (see ``core.scrape.transforms`` for what each does).
    - ``required``: ``false`` (default). A record without a required field scores confidence 0.
    - ``fallbacks``: other ways to the same value (``selector``, ``selector_type``, ``take``,
      ``attribute``, ``all``, ``transforms``), tried in order when the field gives nothing on a
      page; the record says which one worked (``ExtractedRecord.fallbacks``).
``pagination``
    Optional, default ``{"type": "none"}``. ``{"type": "next_button", "selector": "a.next"}``
    follows the link (``selector_type`` as for fields); ``{"type": "url_pattern", "pattern":
    "https://shop.example/p/{page}", "first_page": 1, "last_page": 5}`` walks a page range (the
    pattern may be relative to the target URL; without ``last_page`` the job's max pages bounds it).
``render``
    Optional. ``{"javascript": true}`` renders the page in Chromium first; ``wait_for`` (a CSS
    selector) waits until that element exists.
``detail``
    Optional: follow each record's link to its detail page and read more fields there (one
    level). ``{"link": "url", "fields": {"sku": {...}}, "max_pages": 200}``: ``link`` names the
    package field holding the record's detail URL; ``fields`` are read on the detail page (the
    page is one record: no container) and added to the record; ``max_pages`` (default 200)
    bounds the detail pages one run fetches. Each detail URL is fetched once per run; a detail
    page that cannot be fetched leaves its fields empty and is reported.

``parse_package`` checks all of it and reports every problem at once, each naming where it is:
``fields.price.selector: 'div[' is not a valid CSS selector (…)``. Every selector is compiled
(CSS by both selectolax and cssselect, XPath by lxml) and every regular expression too.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.platform import standard_json
from core.platform.errors import ValidationError
from core.scrape.dom import Selector, Take, css_problem, xpath_problem
from core.scrape.jsonld import path_problem
from core.scrape.transforms import (TRANSFORMS, Kind, RegexError, Transform, compile_regex,
                                    map_problem)
from vocabularies import PaginationType

PACKAGE_VERSION = 1
SELECTOR_TYPES = ("css", "xpath")
FIELD_SELECTOR_TYPES = (*SELECTOR_TYPES, "jsonld")  # JSON-LD paths read values, not elements
TAKES = ("text", "html", "attr")

_PACKAGE_KEYS = ("version", "container", "fields", "pagination", "render", "detail")
_DETAIL_KEYS = ("link", "fields", "max_pages")
DETAIL_MAX_PAGES = 200
_FIELD_KEYS = ("selector", "selector_type", "take", "attribute", "all", "transforms", "required",
               "fallbacks")
_FALLBACK_KEYS = ("selector", "selector_type", "take", "attribute", "all", "transforms")
_SELECTOR_KEYS = ("selector", "selector_type")
_PAGINATION_KEYS: dict[str, tuple[str, ...]] = {
    PaginationType.NONE: ("type",),
    PaginationType.NEXT_BUTTON: ("type", *_SELECTOR_KEYS),
    PaginationType.URL_PATTERN: ("type", "pattern", "first_page", "last_page"),
}
_RENDER_KEYS = ("javascript", "wait_for")


@dataclass(frozen=True, slots=True)
class FieldSpec:
    name: str
    selector: Selector | None  # None: the record's own element
    take: Take = "text"
    attribute: str | None = None
    transforms: tuple[Transform, ...] = ()
    all: bool = False
    required: bool = False
    # other ways to the same value, tried in order when this one gives nothing on a page
    fallbacks: tuple[FieldSpec, ...] = ()


@dataclass(frozen=True, slots=True)
class NoPagination:
    pass


@dataclass(frozen=True, slots=True)
class NextButton:
    selector: Selector


@dataclass(frozen=True, slots=True)
class UrlPattern:
    pattern: str  # contains "{page}"
    first_page: int = 1
    last_page: int | None = None


Pagination = NoPagination | NextButton | UrlPattern


@dataclass(frozen=True, slots=True)
class RenderOptions:
    javascript: bool = False
    wait_for: str | None = None


@dataclass(frozen=True, slots=True)
class DetailPages:
    """Follow each record's ``link`` field to its detail page and read ``fields`` there."""

    link: str
    fields: tuple[FieldSpec, ...]
    max_pages: int = DETAIL_MAX_PAGES

    @property
    def package(self) -> ConfigPackage:
        """The detail page's own package (one record per page)."""
        return ConfigPackage(fields=self.fields)


@dataclass(frozen=True, slots=True)
class ConfigPackage:
    fields: tuple[FieldSpec, ...]
    container: Selector | None = None
    pagination: Pagination = NoPagination()
    render: RenderOptions = RenderOptions()
    version: int = PACKAGE_VERSION
    detail: DetailPages | None = None

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required_fields(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)

    @property
    def uses_xpath(self) -> bool:
        """Whether extraction needs lxml (see ``core.scrape.dom``)."""
        selectors = [self.container, *(f.selector for f in self.fields),
                     *(b.selector for f in self.fields for b in f.fallbacks)]
        return any(s is not None and s.type == "xpath" for s in selectors)


def parse_package(doc: Mapping[str, Any] | str) -> ConfigPackage:
    """Validate a package (a dict, or its JSON text) and return it; ``ValidationError`` lists
    every problem found, each prefixed with where it is (``fields.price.take: …``)."""
    if isinstance(doc, str):
        doc = _load_json(doc)
    problems: list[str] = []
    package = _read_package(_Object(doc, "", problems, _PACKAGE_KEYS))
    if problems:
        raise ValidationError("The config package is not valid.", problems)
    return package


def package_to_dict(package: ConfigPackage) -> dict[str, Any]:
    """The package as JSON-ready data; ``parse_package`` reads it back unchanged."""
    return {
        "version": package.version,
        "container": _container_to_dict(package.container),
        "fields": {f.name: _field_to_dict(f) for f in package.fields},
        "pagination": _pagination_to_dict(package.pagination),
        "render": {"javascript": package.render.javascript, "wait_for": package.render.wait_for},
        **({"detail": {"link": package.detail.link,
                       "fields": {f.name: _field_to_dict(f) for f in package.detail.fields},
                       "max_pages": package.detail.max_pages}} if package.detail else {}),
    }


def _load_json(text: str) -> Any:
    try:
        return standard_json.loads(text)
    except ValueError as exc:
        raise ValidationError("The config package is not valid JSON.",
                              [standard_json.problem(exc)]) from exc


# -- reading ---------------------------------------------------------------------------------------

_REQUIRED = object()
_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "number": (float,), "boolean": (bool,), "object": (dict,),
    "array": (list,), "null": (type(None),),
}


class _Object:
    """A JSON object being read at ``path``: lookups check types and record problems, so one
    pass reports everything that is wrong instead of stopping at the first."""

    def __init__(self, value: Any, path: str, problems: list[str], keys: Collection[str]) -> None:
        self.path, self.problems = path, problems
        self.malformed = not isinstance(value, dict)  # reported once; its keys are not "missing"
        if self.malformed:
            self.report(f"must be an object, not {_json_type(value)}")
            value = {}
        self.value: dict[str, Any] = value
        for key in value:
            if key not in keys:
                self.report(_unknown_key(key, keys), key)

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def report(self, message: str, key: str | None = None) -> None:
        where = self.at(key) if key is not None else self.path
        self.problems.append(f"{where}: {message}" if where else message)

    def get(self, key: str, types: tuple[str, ...], default: Any = _REQUIRED) -> Any:
        if key not in self.value:
            if default is _REQUIRED:
                if not self.malformed:
                    self.report("missing", key)
                return None
            return default
        value = self.value[key]
        if _json_type(value) not in types:
            self.report(f"must be {_describe(types)}, not {_json_type(value)}", key)
            return None if default is _REQUIRED else default
        return value

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _REQUIRED) -> Any:
        value = self.get(key, ("string",), default)
        if isinstance(value, str) and value not in choices:
            self.report(f"must be one of {', '.join(choices)}, not {value!r}", key)
            return None if default is _REQUIRED else default
        return value


def _read_package(obj: _Object) -> ConfigPackage:
    version = obj.get("version", ("integer",))
    if version is not None and version != PACKAGE_VERSION:
        obj.report(f"must be {PACKAGE_VERSION} (the only version so far), not {version}", "version")
    container = _read_container(obj)
    fields = _read_fields(obj, in_container=container is not None)
    return ConfigPackage(
        version=PACKAGE_VERSION,
        container=container,
        fields=fields,
        pagination=_read_pagination(obj),
        render=_read_render(obj),
        detail=_read_detail(obj, fields),
    )


def _read_detail(package: _Object, fields: tuple[FieldSpec, ...]) -> DetailPages | None:
    raw = package.get("detail", ("object", "null"), None)
    if raw is None:
        return None
    obj = _Object(raw, package.at("detail"), package.problems, _DETAIL_KEYS)
    link = obj.get("link", ("string",))
    names = [f.name for f in fields]
    if isinstance(link, str) and fields and link not in names:
        obj.report(f"must name a field of the package ({', '.join(names)}), not {link!r}",
                   "link")
    detail_fields = _read_fields(obj, in_container=False)
    for field in detail_fields:
        if field.name in names:
            obj.report(f"{field.name!r} is already a field of the listing; name it apart",
                       "fields")
    max_pages = obj.get("max_pages", ("integer",), DETAIL_MAX_PAGES)
    if max_pages < 1:
        obj.report(f"must be 1 or more, not {max_pages}", "max_pages")
    return DetailPages(link or "", detail_fields, max_pages)


def _read_container(package: _Object) -> Selector | None:
    raw = package.get("container", ("string", "object", "null"), None)
    if raw is None:
        return None
    if isinstance(raw, str):
        problem = css_problem(raw)
        if problem:
            package.report(problem, "container")
        return Selector(raw)
    return _read_selector(_Object(raw, package.at("container"), package.problems, _SELECTOR_KEYS))


def _read_selector(obj: _Object, *, nullable: bool = False, relative: bool = False,
                   types: tuple[str, ...] = SELECTOR_TYPES) -> Selector | None:
    query = obj.get("selector", ("string", "null") if nullable else ("string",))
    kind = obj.get("selector_type", ("string",), "css")
    if kind not in types:
        also = '; or "jsonld" for a path into the JSON-LD' if "jsonld" in types else ""
        obj.report(f"must be one of {', '.join(SELECTOR_TYPES)}, not {kind!r}{also}",
                   "selector_type")
        kind = "css"
    if query is None:
        return None
    problem = {"css": css_problem, "xpath": xpath_problem, "jsonld": path_problem}[kind](query)
    if not problem and relative and kind == "xpath" and query.lstrip().startswith("/"):
        problem = (f"{query!r} starts at the document root, so it ignores the container; "
                   "start it with './/'")
    if problem:
        obj.report(problem, "selector")
    return Selector(query, kind)


def _read_fields(package: _Object, *, in_container: bool) -> tuple[FieldSpec, ...]:
    raw = package.get("fields", ("object",))
    if raw is None:
        return ()
    if not raw:
        package.report("must name at least one field", "fields")
    fields = []
    for name, value in raw.items():
        if not name.strip():
            package.report("a field name cannot be empty", "fields")
        obj = _Object(value, f"{package.at('fields')}.{name}", package.problems, _FIELD_KEYS)
        fields.append(_read_field(name, obj, in_container=in_container))
    return tuple(fields)


def _read_field(name: str, obj: _Object, *, in_container: bool) -> FieldSpec:
    selector = _read_selector(obj, nullable=True, relative=in_container,
                              types=FIELD_SELECTOR_TYPES)
    take = obj.choice("take", TAKES, "text")
    attribute = obj.get("attribute", ("string",), None)
    if take == "attr" and not attribute:
        obj.report('needed (a non-empty attribute name) when "take" is "attr"', "attribute")
    if take != "attr" and attribute is not None:
        obj.report('only applies when "take" is "attr"', "attribute")
    many = obj.get("all", ("boolean",), False)
    fallbacks = []
    for index, raw in enumerate(obj.get("fallbacks", ("array",), [])):
        inner = _Object(raw, f"{obj.at('fallbacks')}[{index}]", obj.problems, _FALLBACK_KEYS)
        fallbacks.append(_read_field(name, inner, in_container=in_container))
    return FieldSpec(
        name=name,
        selector=selector,
        take=take,
        attribute=attribute if take == "attr" else None,
        transforms=_read_transforms(obj, many=many),
        all=many,
        required=obj.get("required", ("boolean",), False),
        fallbacks=tuple(fallbacks),
    )


def _read_transforms(field: _Object, *, many: bool) -> tuple[Transform, ...]:
    raw = field.get("transforms", ("array",), [])
    transforms: list[Transform] = []
    # What the chain gives so far: a list (the matches of an "all" field) or not, and of what.
    listed: bool = many
    kind: Kind = "text"
    for index, item in enumerate(raw):
        path = f"{field.at('transforms')}[{index}]"
        transform = _read_transform(item, path, field.problems)
        if transform is None:
            continue
        spec = TRANSFORMS[transform.name]
        problem = _chain_problem(transform.name, spec.takes, listed=listed, kind=kind)
        if problem:
            field.problems.append(f"{path}: {problem}")
        listed = listed and spec.takes != "list"
        kind = spec.gives
        transforms.append(transform)
    return tuple(transforms)


def _chain_problem(name: str, takes: Kind, *, listed: bool, kind: Kind) -> str | None:
    """Why transform ``name`` cannot follow what the chain gives so far, or None."""
    if takes == "list" and not listed:
        return f'{name!r} joins the matches of a field with "all": true'
    if takes == "text" and kind == "number":
        return f"{name!r} works on text, but the transform before it gives a number"
    return None


def _read_transform(item: Any, path: str, problems: list[str]) -> Transform | None:
    if isinstance(item, str):
        name, argument, has_argument = item, None, False
    elif isinstance(item, dict) and len(item) == 1:
        [(name, argument)] = item.items()
        has_argument = True
    else:
        problems.append(f'{path}: must be a transform name or an object with one key, such as '
                        f'{{"regex": "..."}}, not {_json_type(item)}')
        return None
    problem = _transform_problem(name, argument, has_argument=has_argument)
    if problem:
        problems.append(f"{path}: {problem}")
        return None
    return Transform(name, argument)


def _transform_problem(name: str, argument: Any, *, has_argument: bool) -> str | None:
    spec = TRANSFORMS.get(name)
    if spec is None:
        hint = ' ("all" is a field option: write "all": true on the field)' if name == "all" else ""
        return f"unknown transform {name!r}{hint}; known: {', '.join(TRANSFORMS)}"
    if spec.argument is None and has_argument:
        return f'{name!r} takes no argument: write "{name}"'
    if spec.argument is not None and not has_argument:
        return f'{name!r} needs {spec.argument}: write {{"{name}": ...}}'
    if not has_argument:
        return None
    if name == "map":
        return map_problem(argument)
    if not isinstance(argument, str):
        return f"the argument of {name!r} must be a string, not {_json_type(argument)}"
    if name in ("regex", "json") and not argument:
        return f"the argument of {name!r} is empty"
    if name == "regex":
        try:
            compile_regex(argument)
        except RegexError as exc:
            return f"'{argument}' is not a valid regular expression ({exc})"
    return None


def _read_pagination(package: _Object) -> Pagination:
    raw = package.get("pagination", ("object",), None)
    if raw is None:
        return NoPagination()
    kind = raw.get("type")
    keys = _PAGINATION_KEYS.get(kind) if isinstance(kind, str) else None
    all_keys = {key for group in _PAGINATION_KEYS.values() for key in group}
    obj = _Object(raw, package.at("pagination"), package.problems, keys or all_keys)
    kind = obj.choice("type", tuple(PaginationType))
    if kind == PaginationType.NEXT_BUTTON:
        selector = _read_selector(obj)
        return NextButton(selector) if selector else NoPagination()
    if kind == PaginationType.URL_PATTERN:
        return _read_url_pattern(obj)
    return NoPagination()


def _read_url_pattern(obj: _Object) -> UrlPattern:
    pattern = obj.get("pattern", ("string",)) or ""
    if pattern and "{page}" not in pattern:
        obj.report('must contain "{page}" where the page number goes', "pattern")
    elif pattern and urlsplit(pattern.replace("{page}", "1")).scheme not in ("", "http", "https"):
        obj.report("must be an http(s) URL, or a path relative to the target URL", "pattern")
    first = obj.get("first_page", ("integer",), 1)
    if first < 0:
        obj.report(f"must be 0 or more, not {first}", "first_page")
    last = obj.get("last_page", ("integer", "null"), None)
    if last is not None and last < first:
        obj.report(f"must be at least first_page ({first}), not {last}", "last_page")
    return UrlPattern(pattern, first, last)


def _read_render(package: _Object) -> RenderOptions:
    raw = package.get("render", ("object",), None)
    if raw is None:
        return RenderOptions()
    obj = _Object(raw, package.at("render"), package.problems, _RENDER_KEYS)
    javascript = obj.get("javascript", ("boolean",), False)
    wait_for = obj.get("wait_for", ("string", "null"), None)
    if wait_for is not None:
        problem = css_problem(wait_for)
        if not javascript:
            obj.report('only applies when "javascript" is true', "wait_for")
        elif problem:
            obj.report(problem, "wait_for")
    return RenderOptions(javascript, wait_for)


def _json_type(value: Any) -> str:
    for name, types in _JSON_TYPES.items():
        if isinstance(value, types) and not (name == "integer" and isinstance(value, bool)):
            return name
    return type(value).__name__


def _describe(types: tuple[str, ...]) -> str:
    named = [t if t == "null" else f"{'an' if t[0] in 'aeiou' else 'a'} {t}" for t in types]
    return " or ".join(named)


def _unknown_key(key: str, keys: Collection[str]) -> str:
    close = difflib.get_close_matches(key, keys, n=1)
    if close:
        return f"unknown key; did you mean {close[0]!r}?"
    return f"unknown key (expected: {', '.join(keys)})"


# -- writing ---------------------------------------------------------------------------------------

def _container_to_dict(container: Selector | None) -> str | dict[str, str] | None:
    if container is None:
        return None
    if container.type == "css":
        return container.query
    return {"selector": container.query, "selector_type": container.type}


def _field_to_dict(field: FieldSpec) -> dict[str, Any]:
    out: dict[str, Any] = {
        "selector": field.selector.query if field.selector else None,
        "selector_type": field.selector.type if field.selector else "css",
        "take": field.take,
    }
    if field.attribute is not None:
        out["attribute"] = field.attribute
    out["all"] = field.all
    out["transforms"] = [t.name if t.argument is None else {t.name: t.argument}
                         for t in field.transforms]
    out["required"] = field.required
    if field.fallbacks:
        out["fallbacks"] = [{k: v for k, v in _field_to_dict(b).items() if k != "required"}
                            for b in field.fallbacks]
    return out


def _pagination_to_dict(pagination: Pagination) -> dict[str, Any]:
    match pagination:
        case NextButton(selector):
            return {"type": PaginationType.NEXT_BUTTON, "selector": selector.query,
                    "selector_type": selector.type}
        case UrlPattern(pattern, first_page, last_page):
            return {"type": PaginationType.URL_PATTERN, "pattern": pattern,
                    "first_page": first_page, "last_page": last_page}
    return {"type": PaginationType.NONE}
