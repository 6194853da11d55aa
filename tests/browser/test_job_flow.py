"""In a real browser: create a scraping job, run it live against the local fixture site, browse
its results and download them as CSV.

Nothing is faked: the app (``scraping_app_server``) starts a real worker process for the run,
which fetches ``tests/fixtures/sites/catalog`` over HTTP on 127.0.0.1, and another that writes
the export file; both are forks of the command server of the app's own ``serve`` worker.
"""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_kit import (AppServer, choose, follow, go_to, metric, open_expander, press, screenshot,
                         sign_in, wait_idle, wait_settled)

pytestmark = pytest.mark.browser

# The job's own delay between requests (the app's default, FETCH_DELAY_SECONDS, is 0 here): 3
# pages then take at least 2 × 3 s, so the Runs page is reached while the run is still going
# (on a machine busy with the rest of the suite too) and must update itself to show the end.
DELAY_SECONDS = "3"
RUN_TIMEOUT_MS = 30_000  # queued → completed: a worker process start plus 3 local pages
EXPORT_TIMEOUT_MS = 20_000  # a worker process start plus a 12-row CSV

PACKAGE = {
    "version": 1,
    "container": "div.product",
    "fields": {
        "name": {"selector": "h2.name", "transforms": ["strip"], "required": True},
        "price": {"selector": ".price", "transforms": ["price"]},
        "url": {"selector": "a.product-link", "take": "attr", "attribute": "href",
                "transforms": ["absolute_url"]},
    },
}

# tests/fixtures/sites/catalog/page1..3.html: (name, price, product page), 4 a page.
PRODUCTS = [
    ("Aurora Desk Lamp", 1299.0, "lmp-101"), ("Beacon Floor Lamp", 89.99, "lmp-102"),
    ("Cedar Lounge Chair", 349.5, "chr-201"), ("Drift Office Chair", 1049.0, "chr-202"),
    ("Elm Dining Table", 2150.0, "tbl-301"), ("Fjord Side Table", 129.0, "tbl-302"),
    ("Grove Bookshelf", 259.0, "shf-401"), ("Harbor Wall Shelf", 45.0, "shf-402"),
    ("Isle Wool Rug", 599.0, "rug-501"), ("Juniper Runner", 119.0, "rug-502"),
    ("Kestrel Sofa", 1899.0, "sof-601"), ("Linden Loveseat", 1199.0, "sof-602"),
]


def _nav(page: Page, name: str) -> None:
    go_to(page, name)


def _new_job_form(page: Page) -> Locator:
    return open_expander(page, "New job")


def _saved_job_field(page: Page, field: str, element: str) -> Locator:
    """The ``element`` in the job edit form's widget keyed ``jobs_edit_<job id>_<field>``
    (Streamlit gives a keyed widget's container the class ``st-key-<key>``). Not the New job
    form's (``jobs_new_<field>``), which has the same labels. Each ``field`` used here is a
    suffix no other key of the form contains."""
    return page.locator(f"[class*='st-key-jobs_edit_'][class*='_{field}'] {element}")


def test_a_job_runs_live_and_its_results_export_as_csv(
        page: Page, scraping_app_server: AppServer, site: str) -> None:
    name = f"Catalog {uuid.uuid4().hex[:8]}"
    catalog = f"{site}/catalog/page1.html"

    # Sign in, open Jobs.
    sign_in(page, scraping_app_server.admin_email, scraping_app_server.admin_password)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    _nav(page, "Jobs")
    expect(page.get_by_role("heading", name="Scraping jobs")).to_be_visible()
    wait_idle(page)
    screenshot(page, "job_flow_01_jobs")

    # New job: the catalog, our package, next-button paging, at most 5 pages.
    form = _new_job_form(page)
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Description").fill("The fixture catalog: 12 products over 3 pages.")
    form.get_by_label("Target URLs (one per line)").fill(catalog)
    form.get_by_label("Config package (JSON)", exact=True).fill(json.dumps(PACKAGE, indent=2))
    form.get_by_test_id("stRadio").get_by_text("Next button", exact=True).click()
    selector_box = form.get_by_label("Next-link selector")
    expect(selector_box).to_be_visible()
    wait_idle(page)
    selector_box.fill("a.next")
    max_pages = form.get_by_label("Max pages")
    max_pages.fill("5")
    max_pages.press("Enter")  # a number input sends its value on Enter or blur
    max_pages.blur()
    delay = form.get_by_label("Delay between requests (s)")
    delay.fill(DELAY_SECONDS)
    delay.press("Enter")
    delay.blur()
    wait_settled(page, quiet_ms=300)
    screenshot(page, "job_flow_02_new_job_form")
    form.get_by_role("button", name="Create job").click()
    created = page.get_by_test_id("stAlert").filter(has_text=f"Created '{name}'.")
    expect(created).to_be_visible()
    wait_idle(page)

    # It is listed, and opened below the list with what was typed.
    expect(page.get_by_test_id("stDataFrame").first.get_by_test_id(
        re.compile(r"^glide-cell-0-\d+$")).filter(has_text=name)).to_have_count(1)
    expect(page.get_by_role("combobox", name="Open job")).to_have_value(
        f"{name} · {scraping_app_server.admin_email}")
    expect(_saved_job_field(page, "name", "input")).to_have_value(name)
    expect(_saved_job_field(page, "urls", "textarea")).to_have_value(catalog)
    expect(_saved_job_field(page, "next_selector", "input")).to_have_value("a.next")
    expect(_saved_job_field(page, "max_pages", "input")).to_have_value("5")
    expect(_saved_job_field(page, "delay", "input")).to_have_value(f"{float(DELAY_SECONDS):.2f}")
    # The form stays open (and filled in) above: the news and the list are off-screen.
    created.evaluate("alert => alert.scrollIntoView({block: 'start'})")
    screenshot(page, "job_flow_03_job_created")

    # Start it, then follow the link to the Runs page.
    press(page.get_by_role("button", name="Start run"),
          page.get_by_test_id("stAlert").filter(has_text="Run started."))
    wait_idle(page)
    screenshot(page, "job_flow_04_run_started")
    follow(page.get_by_role("link", name="Watch it on the Runs page"))
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    heading = page.get_by_role("heading").filter(has_text=f"{name} — ")
    expect(heading, "the run should still be going when its page opens").to_have_text(
        re.compile(rf"{re.escape(name)} — (queued|running)$"))
    screenshot(page, "job_flow_05_runs_live")

    # Watch it finish: the page refreshes itself (no reload, no click).
    expect(heading).to_contain_text(f"{name} — completed", timeout=RUN_TIMEOUT_MS)
    expect(metric(page, "Items stored")).to_have_text(str(len(PRODUCTS)))
    expect(metric(page, "Pages fetched")).to_have_text("3")
    expect(metric(page, "Errors")).to_have_text("0")
    expect(page.get_by_test_id("stProgress")).to_contain_text("100%")
    screenshot(page, "job_flow_06_run_completed")

    # Results: pick the run, sort by name (A→Z), check the first rows.
    _nav(page, "Results")
    expect(page.get_by_role("heading", name="Results", exact=True)).to_be_visible()
    choose(page, "Run", name)
    expect(page.get_by_role("combobox", name="Run")).to_have_value(
        re.compile(rf"^{re.escape(name)} · .* · completed · {len(PRODUCTS)} items$"))
    count = page.get_by_text(re.compile(r"^\d+ results? · page \d+ of \d+$"))
    expect(count).to_have_text(f"{len(PRODUCTS)} results · page 1 of 1")
    choose(page, "Sort by", "name")
    page.get_by_test_id("stCheckbox").filter(has_text="Descending").locator("label").click()
    wait_idle(page)
    # The results table: the first one with rows (a field-health table may come before it).
    # Its column 0 holds the row-selection boxes, so the data starts at column 1.
    table = page.get_by_test_id("stDataFrame").filter(
        has=page.get_by_test_id(re.compile(r"^glide-cell-\d+-\d+$"))).first
    expect(table.get_by_test_id("glide-cell-1-0")).to_have_text("Aurora Desk Lamp")
    expect(table.get_by_test_id("glide-cell-1-1")).to_have_text("Beacon Floor Lamp")
    expect(table.get_by_test_id("glide-cell-2-0")).to_contain_text("1299")
    expect(table.get_by_test_id("glide-cell-3-0")).to_have_text(
        f"{site}/catalog/items/lmp-101.html")
    screenshot(page, "job_flow_07_results")

    # Export as CSV; the file is written by a worker and offered once it is ready.
    page.get_by_role("tab", name="Exports").click()
    expect(page.get_by_role("combobox", name="Format")).to_have_value("CSV")
    page.get_by_role("button", name="Export", exact=True).click()
    expect(page.get_by_test_id("stAlert").filter(has_text="CSV export started")).to_be_visible()
    screenshot(page, "job_flow_08_export_started")
    download_button = page.get_by_test_id("stDownloadButton").get_by_role("button",
                                                                          name="Download")
    expect(download_button).to_be_visible(timeout=EXPORT_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(rf"^CSV · .* · {len(PRODUCTS)} rows · "))).to_be_visible()
    screenshot(page, "job_flow_09_export_ready")

    with page.expect_download() as info:
        download_button.click()
    download = info.value
    assert download.failure() is None
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower())
    assert re.fullmatch(rf"{slug}-[0-9a-f]{{8}}\.csv", download.suggested_filename), \
        download.suggested_filename
    file = scraping_app_server.data_dir.parent / download.suggested_filename
    download.save_as(file)

    reader = csv.DictReader(io.StringIO(file.read_text(encoding="utf-8-sig")))
    rows = list(reader)
    assert reader.fieldnames == ["name", "price", "url", "_source_url", "_confidence",
                                 "_fetched_at"], reader.fieldnames
    got = sorted((row["name"], float(row["price"]), row["url"]) for row in rows)
    assert got == sorted((n, p, f"{site}/catalog/items/{sku}.html") for n, p, sku in PRODUCTS)
    lamp = next(row for row in rows if row["name"] == "Aurora Desk Lamp")
    assert float(lamp["price"]) == 1299.0
    assert lamp["_source_url"] == catalog

    # the run's and the export's workers were forks of the app's serve worker's command server
    started = (scraping_app_server.data_dir / "logs" / "worker.log").read_text(errors="replace")
    assert re.search(r"a worker started in process \d+: run ", started), started[-2000:]
    assert re.search(r"a worker started in process \d+: export ", started), started[-2000:]
