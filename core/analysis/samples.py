"""Run a package on every sample and report, per field, its hit rate and values."""

from __future__ import annotations

from collections.abc import Sequence

from core.analysis.types import SamplePage, SampleReport


def run_samples(package: dict, pages: Sequence[SamplePage]) -> SampleReport:
    """Run ``package`` on each page. A field "hits" a page when at least one record of that page
    has a value for it; ``flagged`` when it hits some pages but not all. A package that is not
    valid raises ``core.errors.ValidationError``; a page that cannot be extracted is reported in
    ``errors`` (the others still run)."""
    raise NotImplementedError("interface published first; implementation follows")
