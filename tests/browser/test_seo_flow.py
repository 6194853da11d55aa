"""In a real browser: sign in, audit a page served on 127.0.0.1, read the score and what to fix
first, and export the report as a PDF.

Nothing is faked: the app (``scraping_app_server``) spawns a real worker process that fetches
the fixture page and its robots.txt, and another that prints the PDF with Chromium.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from browser_kit import AppServer, go_to, metric, press, screenshot, sign_in, wait_idle
from tests.fixtures.server import FixtureServer
from tests.seo.test_imports import GSC_DAILY

pytestmark = pytest.mark.browser

AUDIT_TIMEOUT_MS = 30_000  # a worker process start plus one local page and its robots.txt
PDF_TIMEOUT_MS = 30_000  # a worker process start plus a Chromium start

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Brass desk lamps, made by hand | Lumen</title></head>
<body><h1>Brass desk lamps</h1>
<p>Every lamp is turned, polished and wired by hand in our workshop.</p>
<img src="/img/lamp.png"><img src="/img/shade.png" alt="A linen lamp shade">
<p><a href="/care.html">click here</a> for the care guide.</p>
<script src="/shop.js"></script></body></html>"""


@pytest.fixture(scope="module")
def lamp_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("lamp_site")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")
    (root / "lamps.html").write_text(PAGE)
    (root / "care.html").write_text(PAGE.replace("Brass desk lamps", "Care guide"))
    with FixtureServer(root) as server:
        yield server.base_url


def test_audit_a_page_then_export_the_pdf(page: Page, scraping_app_server: AppServer,
                                          lamp_site: str) -> None:
    url = f"{lamp_site}/lamps.html"
    sign_in(page, scraping_app_server.admin_email, scraping_app_server.admin_password)
    go_to(page, "SEO audit")
    expect(page.get_by_role("heading", name="SEO audit")).to_be_visible()
    wait_idle(page)
    screenshot(page, "seo_flow_01_empty")

    page.get_by_label("Page URL").fill(url)
    press(page.get_by_role("button", name="Audit", exact=True),
          page.get_by_test_id("stAlert").filter(has_text=f"Audit of {url} started."))

    # The page follows the worker by itself and shows the report when it is done.
    score = metric(page, "SEO score")
    expect(score).to_have_text(re.compile(r"^\d{1,2}/100$"), timeout=AUDIT_TIMEOUT_MS)
    wait_idle(page)
    screenshot(page, "seo_flow_02_report")
    expanders = page.get_by_test_id("stExpander")
    first = expanders.first
    expect(first).to_contain_text("points")  # what to fix first: points recoverable on top
    for title in ("Document has a meta description", "Image elements have [alt] attributes",
                  "Links have descriptive text"):
        expect(expanders.filter(has_text=title)).to_have_count(1)
    images = expanders.filter(has_text="Image elements have [alt] attributes")
    images.locator("summary").click()
    expect(images.get_by_text("How to fix:")).to_be_visible()
    # read as served, the audit says that the page's script file may change Lighthouse's count
    expect(images.get_by_text("This page runs scripts (1 script file)")).to_be_visible()
    screenshot(page, "seo_flow_03_evidence")

    # Export: the PDF is printed by a worker; the button turns into a download when ready.
    page.get_by_role("tab", name="Export").click()
    page.get_by_role("button", name="Prepare PDF").click()
    download_button = page.get_by_test_id("stDownloadButton").get_by_role(
        "button", name="Download PDF")
    expect(download_button).to_be_visible(timeout=PDF_TIMEOUT_MS)
    screenshot(page, "seo_flow_04_pdf_ready")
    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.failure() is None
    assert re.fullmatch(r"seo-127-0-0-1-\d+-lamps-html-\d{8}-\d{4}\.pdf",
                        download.suggested_filename), download.suggested_filename
    file = Path(scraping_app_server.data_dir.parent / download.suggested_filename)
    download.save_as(file)
    data = file.read_bytes()
    assert data.startswith(b"%PDF-")
    text = unicodedata.normalize("NFKC", "\n".join(
        p.extract_text() for p in PdfReader(io.BytesIO(data)).pages))
    assert f"SEO report: {url}" in text
    assert re.search(r"SEO score \d{1,2}/100", text)
    assert "What to fix first" in text and "Image elements have [alt] attributes" in text

    # The same audit found the page's keywords; import a Search Console export beside them.
    go_to(page, "Keywords and backlinks")
    expect(page.get_by_role("heading", name="Keywords and backlinks")).to_be_visible()
    table = page.get_by_test_id("stDataFrame").first
    expect(table.get_by_test_id("glide-cell-0-0")).to_have_text("brass desk lamps")
    screenshot(page, "seo_flow_05_keywords")
    page.get_by_role("tab", name="Rankings").click()
    export = file.with_name("Queries.csv")
    export.write_text(GSC_DAILY, encoding="utf-8-sig")
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(export))
    expect(page.get_by_text("Queries.csv")).to_be_visible()
    page.get_by_role("button", name="Import").first.click()
    expect(page.get_by_test_id("stAlert").filter(
        has_text="Imported 3 ranking rows from a Search Console export.")).to_be_visible()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(2)
    wait_idle(page)
    screenshot(page, "seo_flow_06_rankings")
