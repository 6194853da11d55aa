"""SEO crawls as records (``core.seo.crawls``) and their worker (``core.seo.crawl_runner``):
start, execute, findings stored, history and diff, cancel, stale reaping, the CLI."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest

from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.seo import crawls
from core.platform.settings import get_settings
from core.worker import execute_one, serve_once
from sqlalchemy import select

from db.models import SeoCrawl, SeoCrawlPage
from db.types import utcnow


@pytest.fixture
def crawl_env(app_env, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Crawls are only queued (tests run the worker themselves) and may fetch 127.0.0.1."""
    for name, value in {"EXECUTOR": "queue", "ALLOW_PRIVATE_ADDRESSES": "1",
                        "FETCH_DELAY_SECONDS": "0", "FETCH_BACKOFF_SECONDS": "0.01",
                        "FETCH_MAX_RETRIES": "1", "FETCH_MAX_BYTES": "1000000",
                        "RUN_HEARTBEAT_SECONDS": "0.1"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def start(db, actor, url, max_pages=100, **options):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return crawls.start_crawl(session, actor, url, max_pages, options)


def read(db, fn, *args):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return fn(session, *args)


def test_a_crawl_runs_in_the_worker_and_stores_pages_findings_and_summary(
        db, analyst, seo_site, crawl_env) -> None:
    crawl = start(db, analyst, seo_site.base_url + "/")
    assert crawl.status == "queued"
    execute_one(db, "seo-crawl", crawl.id)
    done = read(db, crawls.get_crawl, analyst, crawl.id)
    assert done.status == "completed", done.error_message
    assert done.pages_crawled == 38 and done.findings_count == 18
    findings = read(db, crawls.crawl_findings, analyst, crawl.id)
    broken = findings[findings.finding == "broken-link"].iloc[0]
    assert broken.severity == "error" and broken.group == "/*" and broken["count"] == 3
    assert sorted(u.removeprefix(seo_site.base_url) for u in broken.urls) == [
        "/error", "/es/", "/missing"]
    pages = read(db, crawls.crawl_pages, analyst, crawl.id).set_index("url")
    home = pages.loc[seo_site.base_url + "/"]
    assert home.status == 200 and home.depth == 0 and 0 <= home.score <= 100
    assert pages.loc[seo_site.base_url + "/chain/start"].redirects_to.endswith("/chain/end")
    assert not pages.loc[seo_site.base_url + "/noindex-page"].indexable
    summary = done.summary
    assert summary["findings"] == {"error": 4, "warning": 13, "notice": 1}
    assert summary["sitemap_urls"] == 13 and summary["stopped"] is None
    assert any("disallowed by robots.txt" in note for note in summary["not_checked"])


def test_a_crawls_steps_have_their_events_and_counts(db, analyst, seo_site, crawl_env) -> None:
    """Each page fetched or failed is an event at the fetch step; the checks, the findings and
    the store say what they did: the graph's nodes carry counts and each step can be read."""
    from core.timeline import WorkflowRef
    from core.timeline.view import log_page, workflow_view

    crawl = start(db, analyst, seo_site.base_url + "/")
    execute_one(db, "seo-crawl", crawl.id)
    ref = WorkflowRef.crawl(crawl.id)
    with db.transaction() as session:
        view = workflow_view(session, analyst, ref)
        fetched = log_page(session, analyst, ref, node="fetch")
        findings = log_page(session, analyst, ref, node="findings")
        stored = log_page(session, analyst, ref, node="store")
        pages = session.scalars(select(SeoCrawlPage).where(SeoCrawlPage.crawl_id == crawl.id)).all()
    fetch_counts = view.node("fetch").counts
    not_fetched = [p for p in pages if p.error and "robots.txt" in p.error]
    assert not_fetched  # a URL robots.txt disallows is no fetch event
    failed = [p for p in pages if p.error and p not in not_fetched]
    assert fetch_counts["pages"] == len(pages) - len(failed) - len(not_fetched)
    assert fetch_counts["failed"] == len(failed) > 0
    assert view.node("fetch").error  # the last failed page's error, on the node
    assert {line.payload["url"] for line in fetched} == {
        p.url for p in pages if p not in not_fetched}
    assert any(line.sentence.startswith(f"Fetched {seo_site.base_url}/ (200, ")
               for line in fetched)
    assert view.node("check").counts["pages"] == sum(p.audit is not None for p in pages) > 0
    assert view.node("findings").counts["findings"] == 18
    assert [line.sentence for line in findings] == ["Site-wide findings: 18 findings"]
    assert [line.sentence for line in stored] == ["Store: 38 pages, 18 findings"]
    assert "18 findings" in view.dot()


def test_a_heartbeat_still_waiting_for_a_thread_when_the_crawl_ends_writes_its_pages(
        db, analyst, seo_site, crawl_env, monkeypatch) -> None:
    """On a busy machine the crawl can end while a heartbeat that took the last pages waits for
    a thread to write them: they are written all the same (the fetch step counts every page)."""
    from concurrent.futures import ThreadPoolExecutor

    from core.seo.crawl import SiteCrawler
    from core.timeline import WorkflowRef
    from core.timeline.view import workflow_view

    crawl_run = SiteCrawler.run
    one_thread = ThreadPoolExecutor(1)
    busy = threading.Event()

    async def run_then_keep_the_thread_busy(self):  # type: ignore[no-untyped-def]
        outcome = await crawl_run(self)
        asyncio.get_running_loop().set_default_executor(one_thread)
        one_thread.submit(busy.wait)  # the heartbeat's write now waits for this thread...
        await asyncio.sleep(0.3)  # ...as the next beats take their pages (every 0.1 s)
        threading.Timer(0.3, busy.set).start()  # free it once the crawl has ended
        return outcome

    monkeypatch.setattr(SiteCrawler, "run", run_then_keep_the_thread_busy)
    crawl = start(db, analyst, seo_site.base_url + "/")
    execute_one(db, "seo-crawl", crawl.id)
    with db.transaction() as session:
        counts = workflow_view(session, analyst, WorkflowRef.crawl(crawl.id)).node("fetch").counts
        pages = session.scalars(select(SeoCrawlPage).where(SeoCrawlPage.crawl_id == crawl.id)).all()
    fetched = [p for p in pages if not p.error]
    assert counts["pages"] == len(fetched) > 30


def test_serve_claims_a_queued_crawl(db, analyst, seo_site, crawl_env) -> None:
    crawl = start(db, analyst, seo_site.base_url + "/", max_pages=3)
    assert serve_once(db, "test-worker") is True  # no run, no build: it takes the crawl
    done = read(db, crawls.get_crawl, analyst, crawl.id)
    assert done.status == "completed" and done.summary["stopped"] == "max pages reached"


def test_an_unreachable_site_fails_with_a_clear_message(db, analyst, crawl_env) -> None:
    crawl = start(db, analyst, "http://127.0.0.1:9/")
    execute_one(db, "seo-crawl", crawl.id)
    done = read(db, crawls.get_crawl, analyst, crawl.id)
    assert done.status == "failed"
    assert done.error_message.startswith("the site is unreachable: connection failed")


@pytest.mark.parametrize(("url", "max_pages", "options", "problem"), [
    ("ftp://files.example/", 10, {}, "url: 'ftp://files.example/': only http and https"),
    ("not a url", 10, {}, "url: "),
    ("https://shop.example/", 0, {}, "max_pages: must be a whole number from 1 to 5000"),
    ("https://shop.example/", 5001, {}, "max_pages: must be a whole number from 1 to 5000"),
    ("https://shop.example/", 10, {"speed": 1}, "options.speed: unknown option"),
    ("https://shop.example/", 10, {"concurrency": 0}, "options.concurrency: from 1 to 64"),
    ("https://shop.example/", 10, {"delay": -1}, "options.delay: seconds from 0 to 60"),
])
def test_bad_input_is_refused_with_every_problem(db, analyst, crawl_env, url, max_pages,
                                                 options, problem) -> None:
    with pytest.raises(ValidationError) as refused:
        start(db, analyst, url, max_pages, **options)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems
    assert read(db, lambda s: s.query(SeoCrawl).count()) == 0


def test_private_addresses_are_refused_unless_allowed(db, analyst, crawl_env, monkeypatch) -> None:
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "0")
    get_settings.cache_clear()
    with pytest.raises(ValidationError, match="loopback"):
        start(db, analyst, "http://127.0.0.1:8000/")


def test_viewers_cannot_crawl_and_others_cannot_see(db, analyst, viewer, make_user,
                                                    crawl_env) -> None:
    with pytest.raises(PermissionDenied):
        start(db, viewer, "https://shop.example/")
    crawl = start(db, analyst, "https://shop.example/")
    with pytest.raises(NotFound):
        read(db, crawls.get_crawl, make_user("analyst"), crawl.id)
    with pytest.raises(Conflict, match="already in progress"):
        start(db, analyst, "https://www.shop.example/other")  # the same site


def test_cancel_a_queued_crawl_at_once(db, analyst, crawl_env) -> None:
    crawl = start(db, analyst, "https://shop.example/")
    canceled = read(db, crawls.cancel_crawl, analyst, crawl.id)
    assert canceled.status == "canceled"
    with pytest.raises(Conflict, match="already canceled"):
        read(db, crawls.cancel_crawl, analyst, crawl.id)


def test_cancel_a_running_crawl_keeps_what_it_found(db, analyst, seo_site, crawl_env) -> None:
    crawl = start(db, analyst, seo_site.base_url + "/", delay=0.1, concurrency=1)
    worker = threading.Thread(target=execute_one, args=(db, "seo-crawl", crawl.id))
    worker.start()
    deadline = time.monotonic() + 10
    while read(db, crawls.get_crawl, analyst, crawl.id).pages_crawled < 2:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    read(db, crawls.cancel_crawl, analyst, crawl.id)
    worker.join(timeout=15)
    done = read(db, crawls.get_crawl, analyst, crawl.id)
    assert done.status == "canceled"
    assert 2 <= done.pages_crawled < 38
    stored = read(db, lambda s: s.query(SeoCrawlPage).filter_by(crawl_id=crawl.id).count())
    assert stored == done.pages_crawled
    assert any("canceled" in note for note in done.summary["not_checked"])


def test_a_crawl_whose_worker_died_is_failed(db, analyst, crawl_env) -> None:
    crawl = start(db, analyst, "https://shop.example/")
    with db.transaction() as session:
        row = session.get(SeoCrawl, crawl.id)
        row.status, row.heartbeat_at = "running", utcnow() - timedelta(minutes=5)
    assert read(db, crawls.has_active_crawls, analyst) is False  # it reaps on the way
    done = read(db, crawls.get_crawl, analyst, crawl.id)
    assert done.status == "failed" and "stopped responding" in done.error_message


def test_history_and_diff_between_two_crawls_of_a_site(db, analyst, seo_site, crawl_env) -> None:
    first = start(db, analyst, seo_site.base_url + "/")
    execute_one(db, "seo-crawl", first.id)
    second = start(db, analyst, seo_site.base_url + "/", max_pages=5)
    execute_one(db, "seo-crawl", second.id)
    history = read(db, crawls.crawl_history, analyst, second.id)
    assert set(history.crawl_id) == {first.id, second.id}
    first_counts = history[history.crawl_id == first.id].set_index("finding").issues
    assert first_counts["broken-link"] == 3 and first_counts["too-deep"] == 2
    change = read(db, crawls.diff_crawls, analyst, second.id)
    assert change.previous_id == first.id
    # Five pages see fewer problems: what the small crawl no longer sees counts as fixed.
    fixed = set(zip(change.fixed.finding, change.fixed.url.str.removeprefix(seo_site.base_url)))
    assert ("too-deep", "/deep/5") in fixed and ("redirect-loop", "/loop/a") in fixed
    persisting = set(zip(change.persisting.finding,
                         change.persisting.url.str.removeprefix(seo_site.base_url)))
    assert ("broken-link", "/missing") in persisting
    assert change.new.empty


def test_cli_crawl_wait_json_through_a_real_worker_process(cli, analyst, seo_site, crawl_env,
                                                          monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "local")  # the CLI spawns `python -m core.worker seo-crawl`
    get_settings.cache_clear()
    status, out, err = cli("--user", analyst.email, "seo", "crawl", seo_site.base_url + "/",
                           "--max-pages", "50", "--delay", "0", "--wait", "--json",
                           "--interval", "0.2")
    assert status == 0, err
    report = json.loads(out)
    assert report["status"] == "completed" and report["pages_crawled"] == 38
    ids = {(f["finding"], f["group"]) for f in report["findings"]}
    assert ("broken-link", "/*") in ids and ("redirect-chain", "/chain/*") in ids


def test_cli_refuses_bad_input_with_a_message(cli, analyst, crawl_env) -> None:
    status, out, err = cli("--user", analyst.email, "seo", "crawl", "notaurl", "--max-pages",
                           "0")
    assert status == 2
    assert "The crawl cannot start." in err and "max_pages: must be a whole number" in err
