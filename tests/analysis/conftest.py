"""Fixture pages for the analysis engine: tests/fixtures/sites/builder/ (and the older catalog)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from core.analysis import SamplePage

SITES = Path(__file__).resolve().parents[1] / "fixtures" / "sites"
BUILDER = SITES / "builder"
# extruct's test pages: a small copy under tests/fixtures/corpora (see its SOURCE.txt).
EXTRUCT_SAMPLES = SITES.parent / "corpora" / "extruct" / "tests" / "samples"


def page(name: str, url: str | None = None) -> SamplePage:
    """A builder fixture page as a sample, served from an example shop URL."""
    return SamplePage(url or f"https://shop.example/{name}", (BUILDER / name).read_text())


@pytest.fixture
def catalog_pages() -> list[SamplePage]:
    return [page(f"catalog-{n}.html", f"https://shop.example/outdoor/catalog?page={n}")
            for n in (1, 2)]


def corpus_page(relative: str) -> str:
    """One of extruct's sample pages, by its upstream path (a large one is stored gzipped)."""
    path = EXTRUCT_SAMPLES / relative
    if not path.exists():
        return gzip.decompress(path.with_name(path.name + ".gz").read_bytes()).decode()
    return path.read_text()
