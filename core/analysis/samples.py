"""Run a package on every sample and report, per field, its hit rate and values."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.analysis.types import FieldSample, SamplePage, SampleReport
from core.scrape.extract import extract_records
from core.scrape.package import parse_package


def run_samples(package: dict, pages: Sequence[SamplePage]) -> SampleReport:
    """Run ``package`` on each page. A field "hits" a page when at least one record of that page
    has a value for it; ``flagged`` when it hits some pages but not all. A package that is not
    valid raises ``core.platform.errors.ValidationError``; a page that cannot be extracted is reported in
    ``errors`` (the others still run)."""
    parsed = parse_package(package)
    records: dict[str, list[dict]] = {}
    errors: dict[str, str] = {}
    for page in pages:
        try:
            records[page.url] = [r.data for r in extract_records(parsed, page.html, page.url)]
        except Exception as exc:  # a page the parser chokes on must not hide the other samples
            errors[page.url] = f"could not extract: {exc}"
    fields: dict[str, FieldSample] = {}
    for name in parsed.field_names:
        values: list[Any] = [_first_value(records.get(page.url, []), name) for page in pages]
        hits = sum(1 for v in values if v is not None)
        fields[name] = FieldSample(hits=hits, total=len(pages), values=values,
                                   flagged=0 < hits < len(pages))
    return SampleReport(fields=fields, records=records, errors=errors)


def _first_value(records: list[dict], name: str) -> Any:
    return next((r[name] for r in records if name in r), None)
