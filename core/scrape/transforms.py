"""The value transforms a config package field can apply, in order, to what its selector took.

Each transform turns one value into another, or into None when there is nothing to take ("no
price in this text"); None stops the chain, and on a field with ``"all": true`` it drops that one
match from the list. ``join`` is the exception: it turns the list of matches into one string.

Every transform declares the kind of value it works on and gives, so a package that asks for
``"price"`` then ``"strip"`` is refused when it is saved rather than producing nothing at run time:

    name          argument         works on   gives
    strip         –                text       text     whitespace runs → one space, ends trimmed
    number        –                text       number   first number: "1,299.50" → 1299.5, "4" → 4
    price         –                text       number   amount via price-parser: "$1,299.00" → 1299.0
    currency      –                text       text     currency via price-parser: "$1,299.00" → "$"
    date          –                text       text     dateparser → ISO 8601 ("2024-03-03", or
                                                       "2024-03-03T14:05:00" when a time is given);
                                                       the text must be just the date ("March 3,
                                                       2024", "3 days ago"): cut it out with regex
    absolute_url  –                text       text     resolved against the page URL (<base href>)
    availability  –                text       text     schema.org name: "In stock!", "Auf Lager",
                                                       "https://schema.org/InStock" → "InStock";
                                                       "Sold out" → "SoldOut" (core.scrape.availability)
    regex         pattern          text       text     first group, or the whole match; each
                                                       match may take REGEX_TIMEOUT_SECONDS (a
                                                       pattern that backtracks for ever, such as
                                                       ``^((a+)+)$``, fails the page, not the run)
    json          dotted path      text       any      parse JSON, take a path: "offers.price",
                                                       "image.0" (for JSON-LD <script> blocks)
    join          separator        list       text     the matches of an "all" field, joined
    map           {from: to, …}    text       any      a lookup: {"£": "GBP", "$": "USD"},
                                                       {"Three": 3}; the exact text first, then
                                                       ignoring case and spaces; a value not in
                                                       the table gives None, unless a "*" entry
                                                       gives a default

Text transforms also accept a number, written as text (4.5 → "4.5"); any other value (an object or
a list taken with ``json``) ends the chain.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import time
from typing import TYPE_CHECKING, Any, Literal

import regex

from core.platform import standard_json
from core.platform.errors import ScrapeDeckError
from core.scrape.availability import availability
from core.scrape.urls import join

if TYPE_CHECKING:  # both load slowly (~0.4 s of CPU each): imported when a transform first
    from dateparser.date import DateDataParser  # needs them, not by every worker and command
    from price_parser import Price

# One regex transform's match may take this long. The ``regex`` package (re's syntax) checks the
# time while it backtracks and releases the GIL meanwhile (``concurrent``), so a pattern that
# would run for ever stops instead of holding a worker, its heartbeat and its schedules.
REGEX_TIMEOUT_SECONDS = 1.0
# Transforms one call of which may take long: a regex may search up to its time limit, and
# dateparser took 20 s over the text of one 255 KB page (and 0.4 s to load at its first call).
# A page read with one of them is parsed off the crawl's event loop (core.scraping.runner).
SLOW_TRANSFORMS = frozenset({"regex", "date"})
RegexError = regex.error


class TransformTimeout(ScrapeDeckError):
    """A transform ran past its time limit (a catastrophic regular expression)."""

Kind = Literal["text", "number", "any", "list"]


@dataclass(frozen=True, slots=True)
class Transform:
    """One step of a field's transform chain, as written in the package."""

    name: str
    argument: str | dict[str, Any] | None = None  # a dict for ``map`` only


@dataclass(frozen=True, slots=True)
class TransformSpec:
    takes: Kind
    gives: Kind
    argument: str | None  # what the argument is (for messages); None: the transform takes none
    apply: Callable[[Any, Any, str], Any]  # (value, argument, base URL) → value or None


def apply_transform(transform: Transform, value: Any, base_url: str) -> Any:
    """Apply one transform; ``base_url`` is the page's URL (after any ``<base href>``)."""
    spec = TRANSFORMS[transform.name]
    if spec.takes == "text":
        value = _as_text(value)
        if value is None:
            return None
    return spec.apply(value, transform.argument, base_url)


def one_value_chain(transforms: Sequence[Transform]) -> Callable[[Any, str], Any] | None:
    """``apply_transform`` of each of ``transforms`` in turn on one value (None stops the
    chain), each one's spec looked up once rather than for every value; None when one of them
    takes a list (``extract`` reads such a field the general way)."""
    steps: list[tuple[bool, Callable[[Any, Any, str], Any], Any]] = []
    for transform in transforms:
        spec = TRANSFORMS[transform.name]
        if spec.takes == "list":
            return None
        steps.append((spec.takes == "text", spec.apply, transform.argument))

    def chain(value: Any, base_url: str) -> Any:
        for text_only, apply, argument in steps:
            if value is None or (text_only and (value := _as_text(value)) is None):
                return None
            value = apply(value, argument, base_url)
        return value

    return chain


@functools.lru_cache(maxsize=512)
def compile_regex(pattern: str) -> regex.Pattern[str]:
    """Compile once per pattern (Python's ``re`` syntax, run by the ``regex`` package, which can
    stop a match after a time limit); raises ``RegexError`` for an invalid one."""
    return regex.compile(pattern, regex.VERSION0)


def parse_number(text: str) -> int | float | None:
    """The first number in ``text``, reading thousands separators the way people write them.

    "1,299.50" and "1.299,50" → 1299.5, "1 299" → 1299, "4,5" → 4.5, "12.5%" → 12.5, "-3" → -3.
    A single separator followed by exactly three digits is read as a thousands separator
    ("1,299" → 1299) unless the number starts with 0 ("0.125" → 0.125).
    """
    match = _NUMBER.search(text)
    if not match:
        return None
    sign = -1 if match["sign"] in ("-", "\u2212") else 1
    if match["grouped"]:
        whole = re.sub(r"\D", "", match["grouped"])
        fraction = match["grouped_fraction"]
    else:
        whole, fraction = match["plain"], match["plain_fraction"]
    if fraction:  # "1" and 400 digits read as infinity, which JSON cannot store: no value
        return standard_json.finite_or_none(sign * float(f"{whole}.{fraction}"))
    try:
        return sign * int(whole)
    except ValueError:  # more digits than Python converts (4,300): no one wrote it to be read
        return None


_NUMBER = re.compile(
    r"(?:(?<!\w)(?P<sign>[-+\u2212]))?"
    r"(?:(?P<grouped>[1-9]\d{0,2}(?P<sep>[,.' \u00a0\u202f])\d{3}(?:(?P=sep)\d{3})*)(?!\d)"
    r"(?:(?!(?P=sep))[.,](?P<grouped_fraction>\d+))?"
    r"|(?P<plain>\d+)(?:[.,](?P<plain_fraction>\d+))?)"
)


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _strip(text: str, _argument: str | None, _base_url: str) -> str:
    return " ".join(text.split())


def _number(text: str, _argument: str | None, _base_url: str) -> int | float | None:
    return parse_number(text)


def _price(text: str, _argument: str | None, _base_url: str) -> float | None:
    return standard_json.finite_or_none(_read_price(text)[0])


def _currency(text: str, _argument: str | None, _base_url: str) -> str | None:
    return _read_price(text)[1]


@functools.lru_cache(maxsize=4096)
def _read_price(text: str) -> tuple[float | None, str | None]:
    """(amount, currency) as price-parser reads ``text``, once per text: a package that takes
    both from one element parses it once, and repeated prices are not parsed again (price-parser
    takes tens of microseconds a call, the most of any transform on a catalogue page). The
    commonest shape, "$1,299.00" (a symbol, comma-grouped digits, two decimals), is read here
    with one regex, as price-parser reads it (tests/scrape/test_transforms.py compares them)."""
    if (simple := _SIMPLE_PRICE.fullmatch(text)) is not None:
        return float(f"{simple['whole'].replace(',', '')}.{simple['cents']}"), simple["symbol"]
    price = _price_class().fromstring(text)
    return price.amount_float, price.currency


_SIMPLE_PRICE = re.compile(
    r" *(?P<symbol>[$£€¥])? ?(?P<whole>[1-9][0-9]{0,2}(?:,[0-9]{3})*|[1-9][0-9]*|0)"
    r"\.(?P<cents>[0-9]{2}) *")


@functools.cache
def _price_class() -> type[Price]:
    from price_parser import Price

    return Price


def _date(text: str, _argument: str | None, _base_url: str) -> str | None:
    parsed = _date_parser().get_date_data(text).date_obj
    if parsed is None:
        return None
    if parsed.tzinfo is None and parsed.time() == time(0):
        return parsed.date().isoformat()
    return parsed.isoformat(timespec="seconds")


@functools.cache
def _date_parser() -> DateDataParser:
    # One parser for the process: building one loads language data. "Mar 2024" → the 1st, not today.
    from dateparser.date import DateDataParser

    return DateDataParser(settings={"PREFER_DAY_OF_MONTH": "first"})


def _absolute_url(text: str, _argument: str | None, base_url: str) -> str:
    return join(base_url, text.strip())  # urljoin's answer (core.scrape.urls.join)


def _availability(text: str, _argument: str | None, _base_url: str) -> str | None:
    return availability(text)


def _regex(text: str, pattern: str | None, _base_url: str) -> str | None:
    try:
        match = compile_regex(pattern or "").search(text, timeout=REGEX_TIMEOUT_SECONDS,
                                                    concurrent=True)
    except TimeoutError:
        raise TransformTimeout(
            f"the regex transform {pattern!r} took longer than {REGEX_TIMEOUT_SECONDS:g} s on "
            f"{len(text):,} characters of text (a pattern that backtracks without end, such as "
            f"nested repeats like (a+)+, never finishes on some texts)") from None
    if not match:
        return None
    return match.group(1) if match.re.groups else match.group(0)


def _json(text: str, path: str | None, _base_url: str) -> Any:
    try:
        value = standard_json.loads(text, nonstandard_as_null=True)
    except ValueError:  # not JSON, or an integer of more digits than Python converts
        return None
    for key in (path or "").split("."):
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict):
            value = value.get(key)
        else:
            return None
    return value


def _join(values: list[Any], separator: str | None, _base_url: str) -> str:
    return (separator or "").join(text for v in values if (text := _as_text(v)) is not None)


def _fold(text: str) -> str:
    return " ".join(text.split()).casefold()


def _map(text: str, table: Any, _base_url: str) -> Any:
    if not isinstance(table, dict):
        return None
    if text in table:
        return table[text]
    folded = _fold(text)
    for key, value in table.items():
        if key != "*" and _fold(key) == folded:
            return value
    return table.get("*")


def map_problem(table: Any) -> str | None:
    """Why ``table`` cannot be a ``map`` argument, or None."""
    if not isinstance(table, dict) or not table:
        return 'the argument of \'map\' must be an object of values, such as {"£": "GBP"}'
    for key, value in table.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            return f"map: the value for {key!r} must be text, a number, true/false or null"
    folded: dict[str, str] = {}
    for key in table:
        if key != "*" and _fold(key) in folded and folded[_fold(key)] != key:
            if table[key] != table[folded[_fold(key)]]:
                return (f"map: {folded[_fold(key)]!r} and {key!r} differ only in case or "
                        "spaces but map to different values")
        folded.setdefault(_fold(key), key)
    return None


TRANSFORMS: dict[str, TransformSpec] = {
    "strip": TransformSpec("text", "text", None, _strip),
    "number": TransformSpec("text", "number", None, _number),
    "price": TransformSpec("text", "number", None, _price),
    "currency": TransformSpec("text", "text", None, _currency),
    "date": TransformSpec("text", "text", None, _date),
    "absolute_url": TransformSpec("text", "text", None, _absolute_url),
    "regex": TransformSpec("text", "text", "a regular expression", _regex),
    "json": TransformSpec("text", "any", "a dotted path such as offers.price", _json),
    "join": TransformSpec("list", "text", "a separator", _join),
    "availability": TransformSpec("text", "text", None, _availability),
    "map": TransformSpec("text", "any", 'a lookup object such as {"£": "GBP"}', _map),
}
