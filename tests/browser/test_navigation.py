"""In a real browser: what a signed-out visitor reaches through a link, right after a restart."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from browser_kit import AppServer, open_app, screenshot

pytestmark = pytest.mark.browser


def test_deep_link_to_a_just_started_app_asks_to_sign_in(
        page: Page, untouched_app_server: AppServer) -> None:
    open_app(page, "/audit_log")  # the first request this server sees
    screenshot(page, "deep_link_just_started")
    expect(page.get_by_test_id("stSidebarNav")).to_have_count(0, timeout=1_000)
    expect(page.get_by_role("button", name="Sign in")).to_be_visible(timeout=1_000)

