"""In a real browser, the issue's "Done when": a new user with no model turns an objective and
two fixture catalog pages into a confirmed package, corrects one field by pasting an example
value, confirms, gets a job, runs it; a second build on the same site starts from the
knowledge base.

Nothing is faked: the app (``scraping_app_server``) spawns real worker processes for the builds
and the run, which fetch ``tests/fixtures/sites/catalog`` over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid

import pytest
from playwright.sync_api import Locator, Page, expect

from browser_kit import AppServer, follow, go_to, press, screenshot, sign_in, wait_idle, wait_settled
from app_kit import app_environment
from core.platform.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

OBJECTIVE = "all products on these pages: name, price, rating, image, link"
BUILD_TIMEOUT_MS = 45_000  # a worker process start, two local pages, analysis and samples
RUN_TIMEOUT_MS = 45_000


def _new_user(server: AppServer) -> tuple[str, str]:
    """An analyst created by the admin with the CLI, against the app's database."""
    email, password = f"new-{uuid.uuid4().hex[:6]}@example.com", "new-user-password-1"
    env = app_environment(server.data_dir, server.database_url) | {
        "ADMIN_EMAIL": server.admin_email, "ADMIN_PASSWORD": server.admin_password}
    done = subprocess.run([sys.executable, "-m", "core", "--user", server.admin_email, "users",
                           "create", email, "--role", "analyst", "--password", password],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return email, password


def _nav(page: Page, name: str) -> None:
    go_to(page, name)


def _alert(page: Page, text: str) -> Locator:
    return page.get_by_test_id("stAlert").filter(has_text=text)


def _status(page: Page) -> Locator:
    return page.get_by_role("heading", level=3).filter(
        has_text=re.compile(r"Pending analysis|Generating samples|Pending user feedback|"
                            r"Processing feedback|Confirmed|Failed"))


def _cell(page: Page, text: str) -> Locator:
    """A table cell holding ``text`` (in the grid's accessible copy of its canvas)."""
    return page.get_by_test_id(re.compile(r"^glide-cell-\d+-\d+$")).filter(has_text=text)


def _start_build(page: Page, urls: list[str], objective: str = OBJECTIVE) -> None:
    expander = page.get_by_test_id("stExpander").filter(has_text="New build")
    box = expander.get_by_label("What do you want?")
    if not box.is_visible():
        expander.locator("summary").click()
    expect(box).to_be_visible()
    box.fill(objective)
    expander.get_by_label("Sample URLs (one per line, up to 10)").fill("\n".join(urls))
    wait_settled(page, quiet_ms=300)
    press(expander.get_by_role("button", name="Start build"),
          _alert(page, "Build started: the samples are being fetched."))


def test_objective_to_confirmed_package_to_job_and_knowledge_base_reuse(
        page: Page, scraping_app_server: AppServer, site: str) -> None:
    email, password = _new_user(scraping_app_server)
    sign_in(page, email, password)
    _nav(page, "Objective builder")
    expect(page.get_by_role("heading", name="Objective builder")).to_be_visible()
    expect(_alert(page, "No builds yet.")).to_be_visible()
    screenshot(page, "builder_flow_01_empty")

    # The objective and two catalog pages; the page follows the worker by itself.
    _start_build(page, [f"{site}/catalog/page1.html", f"{site}/catalog/page2.html"])
    expect(_status(page)).to_have_text(re.compile("Pending user feedback$"),
                                       timeout=BUILD_TIMEOUT_MS)
    wait_idle(page)
    for value in ("Aurora Desk Lamp", "Elm Dining Table", "2/2"):
        expect(_cell(page, value).first).to_be_attached()  # grid cells are drawn on a canvas
    expect(page.get_by_text("Free-text feedback needs a language model")).to_be_visible()
    screenshot(page, "builder_flow_02_samples")

    # Correct one field by pasting a value seen on the page.
    page.get_by_label("Field to add or correct").fill("rating")
    page.get_by_label("Example value from a sample page").fill("Rated 4.5 out of 5")
    wait_settled(page, quiet_ms=300)
    page.get_by_role("button", name="Find this value").click()
    expect(_alert(page, "Feedback sent")).to_be_visible()
    expect(page.get_by_role("heading", level=3).filter(has_text="Pending user feedback")
           ).to_be_visible(timeout=BUILD_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"iteration 2 ·"))).to_be_visible()
    page.get_by_test_id("stExpander").filter(has_text="Iterations (2)").locator(
        "summary").click()
    expect(_cell(page, "corrected rating from the example").first).to_be_attached()
    screenshot(page, "builder_flow_03_corrected")
    iterations = page.get_by_test_id("stExpander").filter(has_text="Iterations (2)")
    expect(iterations.get_by_role("combobox", name="with iteration")).to_be_visible()
    iterations.evaluate("box => box.scrollIntoView({block: 'start'})")
    screenshot(page, "builder_flow_03b_iterations_diff")

    # Confirm, make the schema and the job, run it.
    page.get_by_role("button", name="Confirm this package").click()
    expect(_alert(page, "Confirmed and remembered in the knowledge base.")).to_be_visible()
    wait_idle(page)
    page.get_by_role("button", name="Create schema and job").click()
    expect(_alert(page, "Created an extractor schema and a job from this build.")
           ).to_be_visible()
    wait_idle(page)
    screenshot(page, "builder_flow_04_job_made")
    page.get_by_role("button", name="Start a run of the job").click()
    expect(_alert(page, "Run started.")).to_be_visible()
    follow(page.get_by_role("link", name="Watch it on the Runs page"))
    expect(page.get_by_role("heading", name="Runs", exact=True)).to_be_visible()
    expect(page.get_by_role("heading").filter(has_text=" — completed")).to_be_visible(
        timeout=RUN_TIMEOUT_MS)
    wait_idle(page)
    screenshot(page, "builder_flow_05_run_completed")

    # A second build on the same site starts from the knowledge base, and says so.
    _nav(page, "Objective builder")
    expect(page.get_by_role("heading", name="Objective builder")).to_be_visible()
    wait_idle(page)
    _start_build(page, [f"{site}/catalog/page3.html"], "every product with its name and price")
    expect(_status(page)).to_have_text(re.compile("Pending user feedback$"),
                                       timeout=BUILD_TIMEOUT_MS)
    expect(_alert(page, "Started from the knowledge base: a confirmed package for the same site "
                        "(127.0.0.1).")).to_be_visible()
    screenshot(page, "builder_flow_06_second_build_from_knowledge_base")
