"""Fixtures for the engine's tests: the fixture web site, and fetching from it in one call."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.scrape.result import FetchResult
from tests.fixtures.server import FixtureServer

# The fixture site lives on 127.0.0.1, and tests should not wait: no politeness delay, short
# backoff, short timeout. Tests that are about one of these set it themselves.
LOCAL = dict(allow_private=True, delay=0.0, backoff=0.05, max_retry_wait=5.0, timeout=5.0,
             respect_robots=False, max_retries=3)

FetchAll = Callable[..., list[FetchResult]]


@pytest.fixture(scope="session")
def fixture_server() -> Iterator[FixtureServer]:
    with FixtureServer() as server:
        yield server


@pytest.fixture(scope="session")
def fixture_site(fixture_server: FixtureServer) -> str:
    """Base URL of the fixture site, e.g. ``http://127.0.0.1:41234``."""
    return fixture_server.base_url


def local_options(**overrides: Any) -> FetchOptions:
    return dataclasses.replace(FetchOptions(), **{**LOCAL, **overrides})


@pytest.fixture
def fetch_all() -> FetchAll:
    """``fetch_all(url, url, …, **options)``: fetch the URLs concurrently with one Fetcher."""

    def run(*urls: str, **overrides: Any) -> list[FetchResult]:
        async def main() -> list[FetchResult]:
            async with Fetcher(local_options(**overrides)) as fetcher:
                return list(await asyncio.gather(*(fetcher.fetch(url) for url in urls)))

        return asyncio.run(main())

    return run


@pytest.fixture
def fetch(fetch_all: FetchAll) -> Callable[..., FetchResult]:
    """``fetch(url, **options)``: one URL, with options for the local fixture site."""
    return lambda url, **overrides: fetch_all(url, **overrides)[0]


@pytest.fixture
def make_options() -> Callable[..., FetchOptions]:
    """``make_options(**overrides)``: FetchOptions for the local fixture site."""
    return local_options
