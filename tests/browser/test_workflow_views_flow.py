"""The workflow views in a real browser: a run's graph while it works and once done, the extract
step's events, two runs compared, a build's feedback loop (once and unrolled), a site crawl and a page
audit. Each view is saved as a screenshot (tests/artifacts/screenshots/workflow_*.png)."""

from __future__ import annotations

import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeout

import browser_kit
from browser_kit import screenshot, sign_in, wait_idle, wait_settled
from core import timeline
from core.platform.database import open_database
from core.platform.settings import get_settings
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.seo import crawls, reports
from core.seo.crawl_runner import claim_crawl, execute_crawl
from core.timeline import Handoff, HandoffTarget, PageFetched, Retry, StateTransition, WorkflowRef
from db.models import Build, Run, ScrapingJob, User
from db.types import utcnow
from core.accounts.users import actor_of
from tests.conftest import PRODUCTS

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("WORKFLOW_SCREENS", "")) if os.environ.get("WORKFLOW_SCREENS") else None


def shot(page: Page, name: str) -> None:
    path = screenshot(page, f"workflow_{name}")
    if SHOTS is not None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, SHOTS / path.name)


def in_thread(action, *args):  # type: ignore[no-untyped-def]
    """Playwright's sync API keeps an event loop in this thread: a worker's asyncio.run goes
    to another thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(action, *args).result()


def choose(page: Page, box: str, option_text: str) -> None:
    browser_kit.choose(page, box, option_text)
    settle(page)


def go_to(page: Page, title: str) -> None:
    browser_kit.go_to(page, title)
    expect(page.get_by_role("heading", name=title).first).to_be_visible()
    settle(page)


def settle(page: Page) -> None:
    """Settled, or — on a page that refreshes every second while something works — idle."""
    try:
        wait_settled(page, quiet_ms=400, timeout=8_000)
    except PlaywrightTimeout:
        wait_idle(page)


@pytest.fixture
def seeded(app_server, site, seo_site, local_fetching, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    database = open_database(app_server.database_url, migrate=False)
    with database.transaction() as session:
        admin = actor_of(session.query(User).filter_by(email=app_server.admin_email).one())
        job = ScrapingJob(user_id=admin.id, name=f"Catalog {uuid.uuid4().hex[:4]}",
                          target_url=site + "/catalog/page1.html",
                          target_urls=[site + "/catalog/page1.html"], pagination_type="next_button",
                          pagination={"selector": "a.next"}, config_package=PRODUCTS,
                          options={"max_pages": 50, "concurrency": 2})
        session.add(job)
        session.flush()
        job_id = job.id
    yield database, admin, job_id, site, seo_site
    database.dispose()


def test_workflow_views(page: Page, app_server, seeded) -> None:  # type: ignore[no-untyped-def]
    database, admin, job_id, site, seo_site = seeded
    # Yesterday's run, finished; today's, claimed and working.
    with database.transaction() as session:
        first = runs.start_run(session, admin, job_id)
        assert claim(session, first.id, "worker-1")
    assert in_thread(execute_run, database, first.id) == "completed"
    with database.transaction() as session:  # yesterday's
        session.get(Run, first.id).created_at -= timedelta(days=1)
    try:
        sign_in(page, app_server.admin_email, app_server.admin_password)
    except AssertionError:  # a loaded machine can lose the first click
        page.goto("/")
        sign_in(page, app_server.admin_email, app_server.admin_password)
    with database.transaction() as session:
        second = runs.start_run(session, admin, job_id)
        assert claim(session, second.id, "worker-2")
        # Its worker is this test, which heartbeats once for the whole (slow, loaded) test.
        session.get(Run, second.id).heartbeat_at = utcnow() + timedelta(minutes=5)
        now = utcnow()
        timeline.record_many(session, WorkflowRef.run(second.id), [
            PageFetched(node="fetch", url=site + "/catalog/page1.html", status=200, bytes=14_200,
                        seconds=0.083, items=4, at=now),
            Retry(node="fetch", url=site + "/catalog/page2.html", retries=1, at=now)])
    go_to(page, "Runs")
    expect(page.get_by_text("Claimed by worker worker-2").first).to_be_attached()
    shot(page, "run_live")

    assert in_thread(execute_run, database, second.id) == "completed"
    settle(page)
    expect(page.get_by_text("Ended: completed").first).to_be_attached(timeout=10_000)
    shot(page, "run_completed")

    # The user clicks the extract step and reads only its events (the items per batch of
    # pages), as the "Done when" says.
    choose(page, "Step", "Extract")
    settle(page)
    expect(page.get_by_text("No events match.")).to_have_count(0)
    expect(page.get_by_text(" items from ").first).to_be_attached(timeout=10_000)
    expect(page.get_by_text("Claimed by worker worker-2")).to_have_count(0)
    shot(page, "run_extract_only")

    page.get_by_text("Compare with another").click()
    choose(page, "Compare with", "run of")
    settle(page)
    page.get_by_text("Differences are highlighted").scroll_into_view_if_needed()
    shot(page, "run_compare")

    # A build in its second feedback round.
    start = utcnow() - timedelta(minutes=4)
    with database.transaction() as session:
        build = Build(user_id=admin.id, user_objective="Lamps with name and price",
                      status="pending_user_feedback", iteration=2)
        session.add(build)
        session.flush()
        steps = [StateTransition(to="pending_analysis"), Handoff(target=HandoffTarget.WORKER),
                 StateTransition(to="generating_samples"),
                 PageFetched(node="sample", url=site + "/catalog/page1.html", status=200,
                             bytes=14_200, seconds=0.1, items=4),
                 StateTransition(to="pending_user_feedback", iteration=1),
                 StateTransition(to="processing_feedback"), Handoff(target=HandoffTarget.WORKER),
                 PageFetched(node="sample", url=site + "/catalog/page1.html", status=200,
                             bytes=14_200, seconds=0.1, items=4),
                 StateTransition(to="pending_user_feedback", iteration=2)]
        timeline.record_many(session, WorkflowRef.build(build.id), [
            type(e)(**{**e.__dict__, "at": start + timedelta(seconds=20 * i)})
            for i, e in enumerate(steps)])
    go_to(page, "Objective builder")
    page.get_by_text("feedback ↻ 2").first.wait_for()
    page.get_by_text("Workflow: graph, timeline and events").scroll_into_view_if_needed()
    shot(page, "build_loop")
    page.get_by_text("Unroll loops").click()
    settle(page)
    page.get_by_text("Workflow: graph, timeline and events").scroll_into_view_if_needed()
    shot(page, "build_unrolled")

    # A site crawl, done; a page audit, done.
    with database.transaction() as session:
        crawl = crawls.start_crawl(session, admin, seo_site.base_url + "/", 8,
                                   {"delay": 0, "concurrency": 2})
        assert claim_crawl(session, crawl.id, "worker-3")
    in_thread(execute_crawl, database, crawl.id)
    go_to(page, "Site crawl")
    page.get_by_text("Workflow: graph, timeline and events").click()
    settle(page)
    page.get_by_text("Workflow: graph, timeline and events").scroll_into_view_if_needed()
    shot(page, "crawl")

    with database.transaction() as session:
        report = reports.request_audit(session, admin, seo_site.base_url + "/")
        assert reports.claim(session, report.id, "worker-4")
    in_thread(reports.run_audit, database, report.id)
    go_to(page, "SEO audit")
    page.get_by_role("tab", name="Workflow").click()
    settle(page)
    shot(page, "audit")
