"""JSON documents typed by people: parse with line/column errors, check JSON Schemas against the
2020-12 meta-schema, and validate instances with every violation's JSON path.

A schema is self-contained: every ``$ref`` (and ``$dynamicRef``) must point inside the schema
itself (``#/$defs/price``, ``#anchor``) and to a schema there. A reference to anything else — an
``http://`` URL above all, which would make the server fetch it (SSRF) — is refused with a
message when the schema is saved, and validators are built with a registry that retrieves
nothing, so a schema stored before this rule can never fetch either: its broken references
become one violation per item, never a crash.

jsonschema (and referencing, which it uses to resolve references) is imported when first
needed: to check a schema, to word a failing item's violations, to resolve a schema's
references, to check a ``format``. A run whose items pass the compiled check of a flat schema
without references never loads it (~25 ms of a worker's start-up)."""

from __future__ import annotations

import functools
import importlib
import json
import re
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from collections.abc import Callable, Iterator

import regex

from core.platform import standard_json
from core.platform.errors import ValidationError

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError as SchemaViolation
    from referencing import Registry, Resource

MAX_DOCUMENT_CHARS = 1_000_000
MAX_DOCUMENT_BYTES = 4 * MAX_DOCUMENT_CHARS  # a file is refused above this before it is read
MAX_NESTING = 64  # objects and arrays inside each other; deeper would exhaust Python's stack

_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def nesting_depth(text: str) -> int:
    """How deeply objects and arrays nest in JSON ``text`` (brackets inside strings ignored),
    counted without parsing, so a hostile document cannot blow the stack while being measured."""
    depth = deepest = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif token in "]}":
            depth -= 1
    return deepest


def parse_json(text: str, what: str = "JSON") -> Any:
    """Parse ``text``; a syntax error names its line and column."""
    if len(text) > MAX_DOCUMENT_CHARS:
        raise ValidationError(f"{what} is larger than {MAX_DOCUMENT_CHARS:,} characters.")
    if not text.strip():
        raise ValidationError(f"{what} is empty.")
    if nesting_depth(text) > MAX_NESTING:
        raise ValidationError(f"{what} nests objects and arrays more than {MAX_NESTING} levels "
                              "deep.")
    try:
        return standard_json.loads(text)
    except ValueError as exc:
        raise ValidationError(f"{what} is not valid JSON: {standard_json.problem(exc)}.") from exc


def json_path(path: Any) -> str:
    """``['items', 0, 'price']`` → ``$.items[0].price``."""
    out = "$"
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


@dataclass(frozen=True)
class Violation:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def _violations(errors: list[SchemaViolation]) -> list[Violation]:
    ordered = sorted(errors, key=lambda e: (list(map(str, e.absolute_path)), e.message))
    return [Violation(json_path(e.absolute_path), e.message) for e in ordered]


def _is_pattern(text: object) -> bool:
    """The meta-schema's ``"format": "regex"`` (a ``pattern``, a ``patternProperties`` key),
    compiled by the engine items are searched with, so that a schema is refused for a pattern
    its items would all fail on."""
    if isinstance(text, str):
        _compiled(text)  # kept: the items' checks search with it
    return True


@functools.cache
def meta_validator() -> Draft202012Validator:
    """The 2020-12 meta-schema's validator, its ``regex`` format checked by ``_is_pattern``."""
    from jsonschema import Draft202012Validator, FormatChecker

    patterns = FormatChecker(formats=())
    patterns.checks("regex", raises=regex.error)(_is_pattern)
    return Draft202012Validator(Draft202012Validator.META_SCHEMA, format_checker=patterns)


def _violation(message: str) -> SchemaViolation:
    from jsonschema.exceptions import ValidationError as SchemaViolation

    return SchemaViolation(message)


@functools.cache
def _format_check() -> Callable[[Any, Any], bool]:
    """jsonschema's 2020-12 ``format`` check: ``check(value, format)``."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator.FORMAT_CHECKER.conforms


def check_json_schema(document: Any) -> dict[str, Any]:
    """Raise ValidationError listing every place ``document`` breaks the 2020-12 meta-schema."""
    if not isinstance(document, dict):
        raise ValidationError("The schema must be a JSON object, e.g. {\"type\": \"object\", ...}.")
    problems = [str(v) for v in _violations(list(meta_validator().iter_errors(document)))]
    if not problems:
        problems = reference_problems(document)
    if document.get("type", "object") != "object":
        problems.append("$.type: extracted items are JSON objects, so the root type must be "
                        "\"object\"")
    if problems:
        raise ValidationError("The schema is not a valid JSON Schema (2020-12):", problems)
    return document


def effective_schema(document: dict[str, Any], allow_extra_fields: bool) -> dict[str, Any]:
    """The schema items are checked against: with extra fields disallowed, unknown top-level
    keys are violations unless the schema already says how to treat them."""
    if allow_extra_fields or "additionalProperties" in document:
        return document
    return {**document, "additionalProperties": False}


_REFERENCE_KEYS = ("$ref", "$dynamicRef")
_SCHEMA_URI = "urn:scrapedeck:schema"


def _refuse_retrieval(uri: str) -> Resource[Any]:
    from referencing.exceptions import NoSuchResource

    raise NoSuchResource(uri)


def _registry(schema: dict[str, Any]) -> Registry[Any]:
    """The schema as the only resource; anything else is not retrieved, ever."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012

    return Registry(retrieve=_refuse_retrieval).with_resource(  # type: ignore[call-arg]
        _SCHEMA_URI, DRAFT202012.create_resource(schema))


def _references(node: Any, path: str = "$") -> Iterator[tuple[str, str, Any]]:
    """(JSON path of the keyword, keyword, value) of every reference in ``node``."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _REFERENCE_KEYS:
                yield f"{path}.{key}", key, value
            elif key not in ("const", "enum", "default", "examples"):  # data, not schemas
                yield from _references(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _references(value, f"{path}[{index}]")


def reference_problems(schema: dict[str, Any]) -> list[str]:
    """What is wrong with the schema's references: one pointing outside the schema, to nothing,
    to something that is not a schema, or a loop of references that never reaches a keyword."""
    references = list(_references(schema))
    if not references:
        return []
    from referencing.exceptions import Unresolvable

    resolver = _registry(schema).resolver(_SCHEMA_URI)
    problems = []
    for where, key, ref in references:
        if not isinstance(ref, str) or not ref.startswith("#"):
            problems.append(
                f"{where}: {ref!r} points outside the schema; only references inside it "
                f"(\"#/$defs/name\", \"#anchor\") are allowed, so nothing is ever fetched")
            continue
        try:
            target = resolver.lookup(ref).contents
        except Unresolvable:
            problems.append(f"{where}: {ref!r} does not point to anything in the schema")
            continue
        if not isinstance(target, (dict, bool)):
            problems.append(f"{where}: {ref!r} points to {json.dumps(target)[:60]}, which is not "
                            "a schema")
        elif _loops(resolver, ref, key):
            problems.append(f"{where}: {ref!r} leads back to itself through references only, "
                            "so it can never be checked")
    return problems


def _loops(resolver: Any, ref: str, key: str) -> bool:
    from referencing.exceptions import Unresolvable

    seen = set()
    while True:
        if ref in seen:
            return True
        seen.add(ref)
        try:
            target = resolver.lookup(ref).contents
        except Unresolvable:
            return False
        nested = target.get(key) if isinstance(target, dict) else None
        if not isinstance(nested, str) or not nested.startswith("#"):
            return False
        ref = nested


# --- A compiled check for the common shape of an extractor schema -------------------------------
#
# jsonschema walks the schema for every item (a validator object per property, ~0.3 ms an item of
# seven fields). Most extractor schemas are one flat object of typed properties; for those,
# ``_compile`` builds one closure that says valid or not with jsonschema's own rules, keyword by
# keyword, and anything outside that subset is not compiled (jsonschema checks every item). The
# closure only decides "valid"; the words of a failing item's violations still come from
# jsonschema (``InstanceValidator.iter_errors``).

_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "deprecated",
                          "readOnly", "writeOnly"})
_ROOT_KEYS = _ANNOTATIONS | {"$schema", "type", "properties", "required",
                             "additionalProperties"}
_PROPERTY_KEYS = _ANNOTATIONS | {"type", "minLength", "maxLength", "minimum", "maximum",
                                 "exclusiveMinimum", "exclusiveMaximum", "pattern", "format"}
_TYPE_CHECKS: dict[str, Any] = {
    "string": lambda v: isinstance(v, str),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    # jsonschema: 1.0 is an integer; a bool is not a number
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool))
    or (isinstance(v, float) and v.is_integer()),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
Check = Any  # Callable[[Any], bool]


# A ``pattern`` is the schema author's and the text a website's: together they can backtrack
# for ever ("^(a+)+$" on 30 a's). The ``regex`` package (re's syntax) stops a search after a
# time limit, so one item fails its check instead of holding a worker and its heartbeat.
PATTERN_TIMEOUT_SECONDS = 1.0
# Most searches end in microseconds. They run first holding the GIL, for at most this long:
# letting it go and taking it back costs a few microseconds more per search while other threads
# want it (the crawl's flusher). Only a search that needs longer is run again letting go
# of it, so a hostile page holds the run's heartbeat thread up for no more than this per item.
_PATTERN_HOLD_SECONDS = 0.01


# A search whose backtracking is provably short (``_short_search_limit``) runs without the time
# limit: asking the CPU clock for it, twice per search, cost more than the search itself
# (2 µs against 0.7 µs for "^SKU-[0-9]+$" on a SKU; three such fields of ten items a page were
# 17 % of a crawl's parse process).
_SHORT_SEARCH_STEPS = 200_000  # a bound on a backtracking engine's steps: milliseconds at worst


def _pattern_found(pattern: str, text: str) -> bool | None:
    """Whether ``pattern`` matches somewhere in ``text``; None when it ran out of time."""
    search, limit = _compiled(pattern)
    if len(text) <= limit:
        return search(text) is not None
    return _timed_pattern_found(pattern, text)


def _short_search_limit(pattern: str) -> int:
    """The longest text on which a search for ``pattern`` takes at most ``_SHORT_SEARCH_STEPS``
    steps whatever the text, by the pattern's shape: -1 (none) for a shape with no such bound
    here (a repeat of something that repeats or branches, a back-reference, a look-around,
    syntax beyond ``re``'s). For a flat pattern (atoms of one character each, a repeat's
    choices of how much it takes, branches), a backtracking search tries at most
    (n + 1) starts × the product of the repeats' choices × (n + the pattern's length) steps."""
    try:
        # re's own parser (private, the one re compiles with): the regex package shares re's
        # syntax and has none to offer; what re cannot parse gets no bound. Its warnings
        # ("possible nested set") are about re's future, not this search.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = importlib.import_module("re._parser").parse(pattern)
    except Exception:  # noqa: BLE001 - not re's syntax (the regex package's own), or invalid
        return -1
    shape = _shape(list(parsed))
    if shape is None:
        return -1
    size = len(pattern) + 1

    def steps(n: int) -> int:
        return (n + 1) * _choices(shape, n) * (n + size)

    low, high = -1, 1 << 20  # steps(n) grows with n: the largest n within the bound
    while low < high:
        middle = (low + high + 1) // 2
        if steps(middle) <= _SHORT_SEARCH_STEPS:
            low = middle
        else:
            high = middle - 1
    return low


# A shape: ("seq", [shapes]) | ("branch", [shapes]) | ("repeat", low, high); single characters
# (literals, classes, anchors) are steps, not choices, and are left out
_ATOMS = {"LITERAL", "NOT_LITERAL", "IN", "ANY", "AT", "CATEGORY", "RANGE", "NEGATE"}


def _shape(items: list[Any], in_repeat: bool = False) -> tuple[Any, ...] | None:
    parts: list[tuple[Any, ...]] = []
    for op, value in items:
        name = str(op)
        if name in _ATOMS:
            continue  # one step each: counted in the pattern's length
        if name in ("SUBPATTERN", "ATOMIC_GROUP"):
            inner = _shape(list(value[-1] if name == "SUBPATTERN" else value), in_repeat)
        elif name == "BRANCH":
            if in_repeat:
                return None  # "(a|a)*": exponential
            branches = [_shape(list(branch)) for branch in value[1]]
            if any(b is None for b in branches):
                return None
            inner = ("branch", branches)
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            low, high, body = value
            if in_repeat or _shape(list(body), in_repeat=True) is None:
                return None  # "(a+)+": exponential
            inner = ("repeat", low, high)
        else:  # a back-reference, a look-around, a conditional: no bound here
            return None
        if inner is None:
            return None
        parts.append(inner)
    return ("seq", parts)


def _choices(shape: tuple[Any, ...], n: int) -> int:
    """How many ways the parts of ``shape`` can divide a text of ``n`` characters, at most."""
    kind = shape[0]
    if kind == "repeat":
        return max(1, min(shape[2], n) - shape[1] + 1)
    if kind == "branch":
        return sum(_choices(branch, n) for branch in shape[1])
    total = 1
    for part in shape[1]:
        total *= _choices(part, n)
    return total


@functools.lru_cache(maxsize=256)  # the fast check and the wording ask the same question
def _timed_pattern_found(pattern: str, text: str) -> bool | None:
    """``_pattern_found`` with the time limit. A long search lets go of the GIL
    (``concurrent``), so a run's heartbeat thread beats meanwhile."""
    search = _search(pattern)
    try:
        return search(text, timeout=_PATTERN_HOLD_SECONDS, concurrent=False) is not None
    except TimeoutError:
        pass
    try:
        return search(text, timeout=PATTERN_TIMEOUT_SECONDS, concurrent=True) is not None
    except TimeoutError:
        return None


# pattern -> (its compiled search, the longest text it is searched on without the clock)
_patterns: dict[str, tuple[Any, int]] = {}


def _compiled(pattern: str) -> tuple[Any, int]:
    if (found := _patterns.get(pattern)) is None:
        found = _patterns[pattern] = (regex.compile(pattern, regex.VERSION0).search,
                                      _short_search_limit(pattern))
    return found


def _search(pattern: str) -> Any:
    return _compiled(pattern)[0]


def _bounded_pattern(validator: Any, pattern: str, instance: Any, schema: Any) -> Any:
    """jsonschema's ``pattern`` keyword, with the time limit."""
    if not validator.is_type(instance, "string"):
        return
    try:
        found = _pattern_found(pattern, instance)
    except (regex.error, TypeError):
        yield _violation(f"{pattern!r} is not a regular expression")
        return
    if found is None:
        yield _violation(f"{instance[:60]!r} could not be checked against {pattern!r} "
                         f"within {PATTERN_TIMEOUT_SECONDS:g} s (the pattern backtracks "
                         "too much)")
    elif not found:
        yield _violation(f"{instance!r} does not match {pattern!r}")


@functools.cache
def _bounded_validator_class() -> Any:
    """Draft 2020-12's validator with ``_bounded_pattern`` for its ``pattern`` keyword."""
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _bounded_pattern})


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _type_check(spec: Any) -> Check | None:
    names = [spec] if isinstance(spec, str) else spec
    if not isinstance(names, list) or not names or any(n not in _TYPE_CHECKS for n in names):
        return None
    checks = [_TYPE_CHECKS[n] for n in names]
    return checks[0] if len(checks) == 1 else (lambda v: any(c(v) for c in checks))


def _property_check(spec: Any) -> Check | None:
    """One property's check, or None when the property uses anything outside the subset."""
    if spec is True:
        return lambda v: True
    if not isinstance(spec, dict) or not spec.keys() <= _PROPERTY_KEYS:
        return None
    checks: list[Check] = []
    if "type" in spec:
        if (kind := _type_check(spec["type"])) is None:
            return None
        checks.append(kind)
    for key in ("minLength", "maxLength"):
        if key in spec:
            limit = spec[key]
            if not isinstance(limit, int) or isinstance(limit, bool):
                return None
            checks.append((lambda v, n=limit: not isinstance(v, str) or len(v) >= n)
                          if key == "minLength" else
                          (lambda v, n=limit: not isinstance(v, str) or len(v) <= n))
    bounds = {"minimum": lambda v, b: v >= b, "maximum": lambda v, b: v <= b,
              "exclusiveMinimum": lambda v, b: v > b, "exclusiveMaximum": lambda v, b: v < b}
    for key, holds in bounds.items():
        if key in spec:
            if not _is_number(bound := spec[key]):
                return None
            checks.append(lambda v, b=bound, ok=holds: not _is_number(v) or ok(v, b))
    bounded = None  # the pattern, searched with the time limit
    if "pattern" in spec:
        try:
            re.compile(spec["pattern"])  # the syntax jsonschema accepts
            _search(spec["pattern"])
        except (re.error, regex.error, TypeError):
            return None
        # Always within the time limit: a pattern that looks harmless still takes time in the
        # square of the text ("a{0,63}a{1000}b" on 10 kB: 3.4 s), so no pattern goes without it.
        bounded = spec["pattern"]
        checks.append(lambda v, p=bounded: not isinstance(v, str)
                      or _pattern_found(p, v) is True)
    if "format" in spec:
        if not isinstance(spec["format"], str):
            return None
        checks.append(lambda v, f=spec["format"], conforms=_format_check(): conforms(v, f))
    # The usual property, one type: the same checks in one function (a call each costs more
    # than the check), dropping those that say nothing about a value of that type.
    if spec.get("type") == "string":
        return _string_check(spec.get("minLength"), spec.get("maxLength"), bounded,
                             spec.get("format"))
    if spec.get("type") in ("number", "integer"):
        return _number_check(spec["type"] == "integer", spec.get("minimum"),
                             spec.get("maximum"), spec.get("exclusiveMinimum"),
                             spec.get("exclusiveMaximum"), spec.get("format"))
    if not checks:
        return lambda v: True
    if len(checks) == 1:
        return checks[0]
    first, rest = checks[0], tuple(checks[1:])

    def every(value: Any) -> bool:
        if not first(value):
            return False
        for check in rest:
            if not check(value):
                return False
        return True

    return every


def _string_check(low: int | None, high: int | None, bounded: str | None,
                  form: str | None) -> Check:
    """``"type": "string"`` with minLength, maxLength, pattern (searched with the time limit) and
    format, each when not None: ``_property_check``'s checks in one function."""
    conforms = _format_check() if form is not None else None

    def check(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if low is not None and len(value) < low:
            return False
        if high is not None and len(value) > high:
            return False
        if bounded is not None and _pattern_found(bounded, value) is not True:
            return False
        return conforms is None or conforms(value, form)

    return check


def _number_check(integer: bool, minimum: Any, maximum: Any, above: Any, below: Any,
                  form: str | None) -> Check:
    """``"type": "number"`` (or ``"integer"``) with minimum, maximum, exclusiveMinimum,
    exclusiveMaximum and format, each when not None: ``_property_check``'s checks in one
    function."""
    conforms = _format_check() if form is not None else None

    def check(value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if not (isinstance(value, int) or (isinstance(value, float) and (
                not integer or value.is_integer()))):
            return False
        if minimum is not None and not value >= minimum:
            return False
        if maximum is not None and not value <= maximum:
            return False
        if above is not None and not value > above:
            return False
        if below is not None and not value < below:
            return False
        return conforms is None or conforms(value, form)

    return check


def _compile(schema: dict[str, Any]) -> Check | None:
    """A closure deciding validity as jsonschema (2020-12, formats checked) would, for a flat
    object schema; None for any other schema."""
    if not isinstance(schema, dict) or not schema.keys() <= _ROOT_KEYS:
        return None
    if schema.get("type", "object") != "object":
        return None
    properties = schema.get("properties", {})
    required = schema.get("required", [])
    extra = schema.get("additionalProperties", True)
    if (not isinstance(properties, dict) or not isinstance(required, list)
            or not all(isinstance(name, str) for name in required)
            or not isinstance(extra, bool)):
        return None
    checks: dict[str, Check] = {}
    for name, spec in properties.items():
        if (check := _property_check(spec)) is None:
            return None
        checks[name] = check
    must = tuple(required)
    typed = "type" in schema

    def valid(instance: Any) -> bool:
        if not isinstance(instance, dict):
            return not typed
        for name in must:
            if name not in instance:
                return False
        for name, value in instance.items():
            check = checks.get(name)
            if check is None:
                if not extra:
                    return False
            elif not check(value):
                return False
        return True

    return valid


class InstanceValidator:
    """Validates items against one schema; a schema that cannot be applied (a reference that
    does not resolve, references that loop) gives one violation per item instead of raising.
    ``is_valid`` is the fast question (a compiled check for flat object schemas);
    ``iter_errors`` words the violations."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        problems = reference_problems(schema)
        self._broken = f"the schema cannot be applied: {problems[0]}" if problems else None
        self._compiled = None if self._broken else _compile(schema)

    @property
    def compiled(self) -> bool:
        """Whether ``is_valid`` runs the compiled check (else jsonschema decides)."""
        return self._compiled is not None

    def is_valid(self, instance: Any) -> bool:
        """Whether ``iter_errors`` would find nothing, without wording any violation."""
        if self._compiled is not None and self._compiled(instance):
            return True
        return not self.iter_errors(instance)

    def iter_errors(self, instance: Any) -> list[SchemaViolation]:
        if self._broken:
            return [_violation(self._broken)]
        from referencing.exceptions import Unresolvable

        try:
            return list(self._validator.iter_errors(instance))
        except (Unresolvable, RecursionError) as exc:  # Unresolvable: jsonschema wraps it
            return [_violation(f"the schema cannot be applied: {type(exc).__name__}: "
                               f"{str(exc)[:200]}")]

    @functools.cached_property
    def _validator(self) -> Any:
        """jsonschema's validator for the schema, made when a violation is first worded."""
        from jsonschema import Draft202012Validator

        return _bounded_validator_class()(
            self._schema, format_checker=Draft202012Validator.FORMAT_CHECKER,
            registry=_registry(self._schema))


def instance_validator(schema: dict[str, Any]) -> InstanceValidator:
    """A validator that also checks ``format`` (uri, email, date-time…): a schema that says
    ``"format": "uri"`` means it. It never retrieves a remote reference."""
    return InstanceValidator(schema)


def validate_instance(schema: dict[str, Any], instance: Any) -> list[Violation]:
    return _violations(instance_validator(schema).iter_errors(instance))
