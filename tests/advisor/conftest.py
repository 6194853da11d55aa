"""Advisor tests fetch their evidence from the copied documentation pages on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.platform.settings import get_settings
from tests.advisor.docs_server import DocsServer

SCENARIO = ("a web API for 10,000 requests per second with a PostgreSQL database, in the EU, "
            "99.95 % available, under $3,000 a month")


@pytest.fixture
def docs(local_fetching, monkeypatch: pytest.MonkeyPatch) -> Iterator[DocsServer]:  # type: ignore[no-untyped-def]
    with DocsServer() as server:
        monkeypatch.setenv("ADVISOR_AWS_DOCS_BASE", server.base("aws"))
        monkeypatch.setenv("ADVISOR_AZURE_DOCS_BASE", server.base("azure"))
        monkeypatch.setenv("FETCH_MAX_RETRIES", "0")
        monkeypatch.setenv("EXECUTOR", "queue")  # tests run the worker in-process
        get_settings.cache_clear()
        yield server
        get_settings.cache_clear()
