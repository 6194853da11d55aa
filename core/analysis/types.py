"""The plain data the analysis engine takes and gives (no database, no network)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class FieldKind(StrEnum):
    """What a field holds, which decides its JSON Schema type and the transforms that read it
    (the builder's table of both: ``core.builder.builds.FIELD_KINDS``)."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    URL = "url"
    IMAGE = "image"
    DATE = "date"
    PRICE = "price"
    CURRENCY = "currency"
    RATING = "rating"
    AVAILABILITY = "availability"


@dataclass(frozen=True)
class SamplePage:
    """One fetched (or uploaded) sample page: the URL it came from and its HTML."""

    url: str
    html: str


@dataclass(frozen=True)
class WantedField:
    """A field the user wants, by name (snake_case) and kind (a ``FieldKind``)."""

    name: str
    type: str
    description: str = ""


@dataclass
class Proposal:
    """What ``propose`` suggests for an objective and its samples.

    ``schema`` is a JSON Schema (2020-12) for one record; ``package`` a config package v1 dict
    (``core.scrape.package.parse_package`` accepts it); ``page_kinds`` maps each sample URL to
    ``"list"``, ``"detail"`` or ``"article"``; ``field_sources`` says per field how it was
    matched ("itemprop=price", "JSON-LD Product.offers.price", "class .price + price-parser");
    ``next_page`` the URL of a list's second page when its pagination was found;
    ``notes`` are readable remarks: what was found, what could not be matched and what to try.
    """

    schema: dict
    package: dict
    page_kinds: dict[str, str]
    field_sources: dict[str, str]
    notes: list[str] = field(default_factory=list)
    next_page: str | None = None  # the second page of a list, when its pagination says


@dataclass
class FieldSample:
    """One field across the samples: on how many pages it produced a value, the first value per
    page (None where missing), and ``flagged`` when it works on some samples but not all."""

    hits: int
    total: int
    values: list[Any]
    flagged: bool


@dataclass
class SampleReport:
    """``run_samples``' answer: per field its ``FieldSample``; per page URL its records; per page
    URL that could not be extracted, the reason."""

    fields: dict[str, FieldSample]
    records: dict[str, list[dict]]
    errors: dict[str, str]


@dataclass
class ExampleMatch:
    """A field found from a pasted example value: ``field`` is a FieldSpec dict for the package,
    ``values`` the value it gives on each sample page (None where it finds nothing), ``source``
    a readable note on what was matched."""

    field: dict
    values: list[Any]
    source: str
