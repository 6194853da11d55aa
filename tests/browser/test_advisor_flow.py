"""In a real browser, the advisor's Done-when: ask for "a web API for 10,000 requests per second
with a PostgreSQL database, in the EU, 99.95 % available, under $3,000 a month" for AWS and
Azure, watch both runs iterate, read the designs, findings and evidence, and export Markdown and
PDF. The documentation pages are the copied cloud-docs pages on 127.0.0.1; the user has a model
(the OpenAI-compatible test server) that answers garbage, so every node falls back to the rules
and says why, and the model's calls show per node with their cost.

Nothing is faked: the app spawns a worker process per provider run (which fetches the pages
and calls the model over HTTP) and another that prints the PDF with Chromium.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from browser_kit import AppServer, go_to, screenshot, sign_in, wait_settled
from app_kit import running_app
from core.accounts.users import get_active_actor
from core.llm import prices, providers
from core.platform.database import open_database
from core.platform.settings import get_settings
from tests.advisor.conftest import SCENARIO
from tests.advisor.docs_server import DocsServer
from tests.fixtures.openai_server import OpenAIServer

pytestmark = pytest.mark.browser

RUNS_TIMEOUT_MS = 120_000  # two worker starts, 2 iterations of 17 local pages and model calls
PDF_TIMEOUT_MS = 45_000  # a worker process start plus a Chromium start
SECRET = "browser-tests-secret-key-for-api-keys-0123"
API_KEY = "sk-test-advisor-flow-0123456789"


@pytest.fixture
def fresh_app_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppServer]:
    """This module's own app (the ``page`` fixture opens a ``fresh_app_server`` when a test
    asks for one): the documentation base URLs and the model must reach the workers it
    spawns, which inherit its environment."""
    with DocsServer() as docs, OpenAIServer(api_key=API_KEY) as model:
        env = {"ALLOWED_PRIVATE_NETWORKS": "127.0.0.1", "FETCH_DELAY_SECONDS": "0",
               "FETCH_MAX_RETRIES": "0", "EXECUTOR": "local", "SCRAPEDECK_SECRET_KEY": SECRET,
               "ADVISOR_AWS_DOCS_BASE": docs.base("aws"),
               "ADVISOR_AZURE_DOCS_BASE": docs.base("azure")}
        with running_app(tmp_path / "app", env) as server:
            # The admin's model provider, written with the app's secret key.
            monkeypatch.setenv("SCRAPEDECK_SECRET_KEY", SECRET)
            monkeypatch.setenv("ALLOWED_PRIVATE_NETWORKS", "127.0.0.1")
            get_settings.cache_clear()
            database = open_database(server.database_url, migrate=False)
            with database.transaction() as session:
                prices.seed_default_prices(session)
                admin = get_active_actor(session, server.admin_email)
                assert admin is not None
                providers.save_provider(session, admin, name="Test AI",
                                        base_url=model.base_url, model="gpt-4o-mini",
                                        api_key=API_KEY)
            database.dispose()
            get_settings.cache_clear()
            yield server


def test_ask_watch_read_and_export_for_both_providers(page: Page,
                                                      fresh_app_server: AppServer) -> None:
    page.set_default_timeout(60_000)  # a fresh app, two workers and a model on a busy machine
    sign_in(page, fresh_app_server.admin_email, fresh_app_server.admin_password)
    go_to(page, "Architecture advisor")
    expect(page.get_by_role("heading", name="Architecture advisor")).to_be_visible()
    wait_settled(page)
    page.get_by_label("The system you need").fill(SCENARIO)
    page.get_by_role("button", name="Ask").click()
    expect(page.get_by_text("Asked: the runs are on their way.")).to_be_visible()
    screenshot(page, "advisor_flow_01_asked")

    # Both runs end; while they work the page redraws itself (a live fragment).
    final = page.get_by_text(re.compile(r"^accepted · iteration \d of at most 3$"))
    expect(final).to_have_count(2, timeout=RUNS_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="AWS")).to_be_visible()
    expect(page.get_by_role("heading", name="AZURE")).to_be_visible()
    expect(page.get_by_text("Accepted: every required check passes").first).to_be_visible()
    screenshot(page, "advisor_flow_02_accepted")
    # The designs, each finding's evidence excerpt, and the model's fallbacks said in words.
    expect(page.get_by_text(re.compile(r"^database: Amazon Aurora PostgreSQL")).first) \
        .to_be_visible()
    expect(page.get_by_text(re.compile(r"^Evidence: .* — http://127\.0\.0\.1:\d+/aws/"))
           .first).to_be_visible()
    expect(page.get_by_text("The model's review was not used").first).to_be_visible()
    expect(page.get_by_text("The model's answer was refused").first).to_be_visible()
    expect(page.get_by_text("Model calls by node").first).to_be_visible()
    # The list of questions names the providers, never a status that the live runs outgrew.
    expect(page.get_by_role("combobox", name="Open")).to_have_value(
        re.compile(r" · AWS \+ AZURE$"))

    with page.expect_download() as info:
        page.get_by_role("button", name="Download Markdown").click()
    markdown = Path(info.value.path()).read_text(encoding="utf-8")
    assert "## AWS: accepted" in markdown and "## AZURE: accepted" in markdown

    page.get_by_role("button", name="Prepare PDF").click()
    download_pdf = page.get_by_test_id("stDownloadButton").get_by_role("button",
                                                                       name="Download PDF")
    expect(download_pdf).to_be_visible(timeout=PDF_TIMEOUT_MS)
    screenshot(page, "advisor_flow_03_exports")
    with page.expect_download() as info:
        download_pdf.click()
    assert re.fullmatch(r"advice-\d{8}-\d{4}-[0-9a-f]{8}\.pdf", info.value.suggested_filename)
    data = Path(info.value.path()).read_bytes()
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
    assert "AWS: accepted" in text and "AZURE: accepted" in text
