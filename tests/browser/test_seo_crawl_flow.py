"""In a real browser: start an SEO crawl of the fixture site with planted problems, watch it
finish live, read a grouped finding with its URLs and linking pages.

Nothing is faked: the app (``scraping_app_server``) spawns ``python -m core.worker seo-crawl``,
which crawls ``tests/fixtures/seo_site`` over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_kit import AppServer, go_to, metric, screenshot, sign_in, wait_idle, wait_settled
from tests.fixtures.seo_server import SeoSiteServer

pytestmark = pytest.mark.browser

CRAWL_TIMEOUT_MS = 45_000  # a worker start plus 38 local pages at a 0.2 s delay


def _fill_number(box: Locator, value: str) -> None:
    box.fill(value)
    box.blur()  # a number input takes its value on blur (Enter would submit the whole form)


def test_a_site_crawl_runs_live_and_shows_grouped_findings(
        page: Page, scraping_app_server: AppServer, seo_site: SeoSiteServer) -> None:
    start_url = seo_site.base_url + "/"
    sign_in(page, scraping_app_server.admin_email, scraping_app_server.admin_password)
    go_to(page, "Site crawl")
    expect(page.get_by_role("heading", name="Site crawl")).to_be_visible()
    wait_idle(page)

    form = page.get_by_test_id("stExpander").filter(has_text="New crawl")
    expect(form.get_by_label("Start URL")).to_be_visible()  # open: there is no crawl yet
    form.get_by_label("Start URL").fill(start_url)
    _fill_number(form.get_by_label("Max pages"), "60")
    _fill_number(form.get_by_label("Delay between requests (s)"), "0.2")
    wait_settled(page, quiet_ms=300)
    screenshot(page, "seo_crawl_01_new_crawl")
    form.get_by_role("button", name="Start crawl").click()
    expect(page.get_by_test_id("stAlert").filter(
        has_text=f"Crawl of {start_url} started.")).to_be_visible()
    heading = page.get_by_role("heading").filter(has_text=f"{start_url} — ")
    expect(heading, "the crawl should still be going when it opens").to_have_text(
        re.compile(rf"{re.escape(start_url)} — (queued|running)$"))
    screenshot(page, "seo_crawl_02_running")

    # The page refreshes itself until the crawl ends (no reload, no click).
    expect(heading).to_contain_text(f"{start_url} — completed", timeout=CRAWL_TIMEOUT_MS)
    expect(metric(page, "Pages crawled")).to_have_text("38")
    expect(metric(page, "Findings")).to_have_text("18")
    broken = page.get_by_test_id("stExpander").filter(
        has_text="Broken pages linked in /* · 3 URLs")
    expect(broken).to_be_visible()
    expect(page.get_by_test_id("stExpander").filter(
        has_text="Duplicate titles in /product/* · 3 URLs")).to_be_visible()
    broken.locator("summary").click()
    expect(broken.get_by_text("Fix or remove the links to these URLs")).to_be_visible()
    expect(broken.get_by_test_id("stDataFrame")).to_be_visible()
    screenshot(page, "seo_crawl_03_findings")
