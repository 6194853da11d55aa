"""In a real browser: set up a model provider, test the connection (a worker process calls a
real OpenAI-compatible server on 127.0.0.1; the page polls until the outcome is in), and see
the call's tokens in the recent costs — with the API key never shown back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from browser_kit import AppServer, go_to, press, screenshot, sign_in, wait_settled
from tests.fixtures.openai_server import OpenAIServer, Reply

pytestmark = pytest.mark.browser

KEY = "sk-browser-test-key-0123456789ABCD"
TEST_TIMEOUT_MS = 30_000  # a worker process start plus one local call


@pytest.fixture
def openai() -> Iterator[OpenAIServer]:
    with OpenAIServer(api_key=KEY) as server:
        yield server


def test_set_up_and_test_a_model_provider(page: Page, scraping_app_server: AppServer,
                                          openai: OpenAIServer) -> None:
    # scraping_app_server allows private addresses: the model server is on 127.0.0.1.
    sign_in(page, scraping_app_server.admin_email, scraping_app_server.admin_password)
    go_to(page, "Model provider")
    expect(page.get_by_role("heading", name="Model provider")).to_be_visible()
    page.get_by_label("Base URL", exact=True).fill(openai.base_url)
    page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    page.get_by_label("API key", exact=True).fill(KEY)
    press(page.get_by_role("button", name="Save provider"),
          page.get_by_text("Saved OpenAI (gpt-4o-mini)."))
    expect(page.get_by_text("API key: set (ends in …ABCD)")).to_be_visible()
    wait_settled(page)

    openai.script(Reply.json({"ok": True}, prompt_tokens=25, completion_tokens=5))
    page.get_by_role("button", name="Test connection").click()
    expect(page.get_by_text("Connected: gpt-4o-mini answered in")).to_be_visible(
        timeout=TEST_TIMEOUT_MS)
    costs = page.get_by_text("Latest 1 call: 25 input and 5 output tokens, $0.000007.")
    expect(costs).to_be_visible()
    screenshot(page, "model_provider_connected")
    assert KEY not in page.content()
    assert openai.requests[-1][0]["Authorization"] == f"Bearer {KEY}"
