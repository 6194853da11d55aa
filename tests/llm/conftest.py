"""Model-provider fixtures: a real OpenAI-compatible server on 127.0.0.1, and clients for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.llm.client import ChatClient, ProviderConfig
from core.platform.settings import get_settings
from tests.fixtures.openai_server import OpenAIServer
from tests.pages.conftest import app  # noqa: F401  (the AppTest fixture, for the page test)

API_KEY = "sk-test-0123456789abcdefWXYZ"


@pytest.fixture
def loopback_allowed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The model client checks its endpoint with the URL policy before each call: allow the
    test servers' address (only that one)."""
    monkeypatch.setenv("ALLOWED_PRIVATE_NETWORKS", "127.0.0.1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def openai(loopback_allowed: None) -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=API_KEY) as server:
        yield server


@pytest.fixture
def config(openai: OpenAIServer) -> ProviderConfig:
    return ProviderConfig(name="Test AI", base_url=openai.base_url, model="gpt-4o-mini",
                          api_key=API_KEY, timeout=5.0)


class Waits(list[float]):
    """Stands in for ``time.sleep``: remembers each wait the client chose, spends none."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def waits() -> Waits:
    return Waits()


@pytest.fixture
def client(config: ProviderConfig, waits: Waits) -> Iterator[ChatClient]:
    with ChatClient(config, max_retries=2, max_wait=5.0, sleep=waits) as chat:
        yield chat


@pytest.fixture
def secret_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fixed SCRAPEDECK_SECRET_KEY for the test (and workers it starts)."""
    key = "test-secret-key-for-api-keys-0123456789"
    monkeypatch.setenv("SCRAPEDECK_SECRET_KEY", key)
    get_settings.cache_clear()
    yield key
    get_settings.cache_clear()
