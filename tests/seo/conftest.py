"""Fixtures for the SEO audit tests: fixture-page servers and auditing a served URL."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.seo import PageAudit, audit_url_async
from tests.fixtures.seo.server import FIXTURES, SeoServer

# Lighthouse's SEO smoke-test pages: a copy under tests/fixtures/corpora (see its SOURCE.txt).
LIGHTHOUSE_CORPUS = Path(__file__).resolve().parents[1] / "fixtures" / "corpora" / "lighthouse-seo"

AuditUrl = Callable[..., PageAudit]


def local_options(**overrides: object) -> FetchOptions:
    """Fetching from 127.0.0.1 (ALLOW_PRIVATE_ADDRESSES' option), without waits or retries."""
    local = dict(allow_private=True, delay=0.0, timeout=5.0, max_retries=0, respect_robots=False)
    return dataclasses.replace(FetchOptions(), **{**local, **overrides})


@pytest.fixture(scope="session")
def seo_server() -> Iterator[SeoServer]:
    """Our own fixture pages (tests/fixtures/seo)."""
    with SeoServer(FIXTURES) as server:
        yield server


@pytest.fixture(scope="session")
def lighthouse_server() -> Iterator[SeoServer]:
    """Lighthouse's fixture directory: /seo/<page>.html and /robots.txt, as in its smoke tests."""
    with SeoServer(LIGHTHOUSE_CORPUS / "cli" / "test" / "fixtures") as server:
        yield server


@pytest.fixture(scope="session")
def audit_served() -> AuditUrl:
    """``audit_served(url, **fetch_options)``: audit_url_async on a local URL, synchronously."""

    def run(url: str, **overrides: object) -> PageAudit:
        async def main() -> PageAudit:
            async with Fetcher(local_options(**overrides)) as fetcher:
                return await audit_url_async(url, fetcher=fetcher)

        return asyncio.run(main())

    return run
