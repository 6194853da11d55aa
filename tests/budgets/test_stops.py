"""Limits that stop work: a budget stops a crawl and a build as it stops a run ("stopped: budget
reached", what they have kept), a job's caps stop one run ("stopped: job cap reached"), and new
crawls, builds and scheduled runs are refused while a budget is reached."""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from core import budgets, ledger
from core.budgets import BudgetReached
from core.builder import builds
from core.ledger import Charge, CostKind, Owner, prices
from core.platform.errors import ValidationError
from core.platform.settings import get_settings
from core.scraping import jobs, runs
from core.scraping.runner import claim, execute_run
from core.seo import crawls
from core.worker import execute_one
from db.models import Result, Run, ScrapingJob, SeoCrawlPage
from db.types import utcnow
from tests.conftest import slow_pages_job


@pytest.fixture
def dollar_requests(db, admin) -> None:
    """Requests at $1 each, so a few pages reach a budget or a cap."""
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        prices.set_price(session, admin, prices.read_new_price(
            "requests", "1", effective_from=datetime(2001, 1, 1, tzinfo=timezone.utc)))


@pytest.fixture
def queued(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Work is only queued (the test runs the worker); fetching 127.0.0.1 is allowed."""
    for name, value in {"EXECUTOR": "queue", "ALLOW_PRIVATE_ADDRESSES": "1",
                        "FETCH_DELAY_SECONDS": "0", "FETCH_BACKOFF_SECONDS": "0.01",
                        "RUN_HEARTBEAT_SECONDS": "0.1"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run_to_end(db, actor, job_id) -> runs.RunSummary:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        run = runs.start_run(session, actor, job_id)
        assert claim(session, run.id, "pytest")
    execute_run(db, run.id)
    with db.transaction() as session:
        return runs.get_run(session, actor, run.id)


@pytest.mark.usefixtures("app_env", "queued")
def test_a_crawl_stops_at_the_budget_keeping_its_pages(db, dollar_requests, analyst,
                                                       seo_site) -> None:
    with db.transaction() as session:
        budgets.set_budget(session, analyst, daily="3")
        crawl = crawls.start_crawl(session, analyst, seo_site.base_url + "/", 100,
                                   {"delay": 0.1, "concurrency": 1})
    execute_one(db, "seo-crawl", crawl.id)
    with db.transaction() as session:
        done = crawls.get_crawl(session, analyst, crawl.id)
        stored = session.scalar(select(func.count()).select_from(SeoCrawlPage)
                                .where(SeoCrawlPage.crawl_id == crawl.id))
        spent = ledger.cost_of(session, ledger.Scope(crawl_id=crawl.id))
    assert done.status == "stopped_budget"
    assert done.error_message.startswith("stopped: budget reached: your daily budget of $3.00")
    assert 3 <= done.pages_crawled < 38 and stored == done.pages_crawled
    assert spent >= 3  # every request is in the ledger, charged at the heartbeats and the end
    with pytest.raises(BudgetReached, match="crawl was not started.*daily budget"), \
            db.transaction() as session:
        crawls.start_crawl(session, analyst, seo_site.base_url + "/", 10)


@pytest.mark.usefixtures("queued")
def test_a_crawl_stopped_by_the_budget_says_so_in_its_summary_not_canceled(
        cli, db, dollar_requests, analyst, seo_site, monkeypatch) -> None:
    with db.transaction() as session:
        budgets.set_budget(session, analyst, daily="3")
    monkeypatch.setenv("EXECUTOR", "local")  # the CLI spawns `python -m core.worker seo-crawl`
    get_settings.cache_clear()
    status, out, err = cli("--user", analyst.email, "seo", "crawl", seo_site.base_url + "/",
                           "--max-pages", "100", "--delay", "0.1", "--concurrency", "1",
                           "--wait", "--interval", "0.2")
    assert status == 1  # what it waited for did not complete
    report = out[out.index("Stopped: budget reached: "):]
    assert re.match(r"Stopped: budget reached: \d+ pages, \d+ findings", report)
    assert ("not checked: stopped: budget reached; findings cover the pages fetched so far"
            in report)
    assert "cancel" not in out
    assert err.strip().startswith("error: Crawl stopped: budget reached: your daily budget of "
                                  "$3.00")
    crawl_id = re.search(r"Crawl (\S+) queued", out).group(1)
    status, shown, _ = cli("--user", analyst.email, "seo", "crawl-show", crawl_id)
    summary = json.loads(shown)["summary"]
    assert summary["stopped"] == "stopped: budget reached"
    assert summary["not_checked"][0] == ("stopped: budget reached; findings cover the pages "
                                         "fetched so far")


@pytest.mark.usefixtures("app_env", "local_fetching")
def test_a_build_stops_at_the_budget_and_new_builds_are_refused(db, dollar_requests, analyst,
                                                               site) -> None:
    with db.transaction() as session:
        budgets.set_budget(session, analyst, daily="1")
        build = builds.create_build(session, analyst, builds.BuildInput(
            objective="all products: name, price",
            urls=[f"{site}/catalog/page{n}.html" for n in (1, 2, 3)]))
    deadline = time.monotonic() + 120
    while True:
        with db.transaction() as session:
            found = builds.get_build(session, analyst, build.id)
        if not found.working or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert found.status == "stopped_budget"
    assert "daily budget of $1.00" in found.error_message
    with db.transaction() as session:  # the first sample's request reached it: no second one
        assert 1 <= ledger.cost_of(session, ledger.Scope(build_id=build.id)) < 2  # + bytes
    with pytest.raises(BudgetReached, match="build was not started"), db.transaction() as session:
        builds.create_build(session, analyst, builds.BuildInput(
            objective="all products: name", urls=[f"{site}/catalog/page1.html"]))


@pytest.mark.usefixtures("local_fetching")
def test_a_job_s_item_cap_stops_its_run_with_exactly_that_many_items(db, analyst,
                                                                     make_job) -> None:
    job_id = make_job(analyst, max_items_per_run=5, concurrency=1)
    done = run_to_end(db, analyst, job_id)
    assert done.status == "stopped_cap"
    assert done.items_extracted == 5
    assert done.error_message.startswith("stopped: the job's cap of 5 items per run")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(Result)
                              .where(Result.job_id == job_id)) == 5


@pytest.mark.usefixtures("local_fetching")
def test_a_job_s_charge_cap_stops_its_run_and_the_next_run_may_go_on(
        db, dollar_requests, analyst, site) -> None:
    with db.transaction() as session:
        job_id = slow_pages_job(session, analyst, site, name="capped", max_charge_usd=2)
    done = run_to_end(db, analyst, job_id)
    assert done.status == "stopped_cap"
    assert "cap of $2.00 per run was reached" in done.error_message
    assert 2 <= done.pages_fetched < 20
    with db.transaction() as session:  # a cap is per run: it refuses nothing
        again = runs.start_run(session, analyst, job_id)
        assert again.status == "queued"


@pytest.mark.parametrize("options, message", [
    ({"max_charge_usd": -1}, "max_charge_usd: must be 0 \\(no cap\\) or more"),
    ({"max_charge_usd": "lots"}, "max_charge_usd: must be a number"),
    ({"max_items_per_run": -3}, "max_items_per_run: must be 0 \\(no cap\\) or more"),
    ({"max_items_per_run": 2.5}, "max_items_per_run: must be a whole number"),
])
def test_bad_caps_are_refused_and_nothing_is_saved(db, analyst, options, message) -> None:
    with pytest.raises(ValidationError) as caught, db.transaction() as session:
        jobs.create_job(session, analyst, jobs.JobInput(
            name="capped", target_urls=["https://shop.example/"],
            config_package={"version": 1, "fields": {"t": {"selector": "h1"}}},
            options=options))
    assert any(re.search(message, p) for p in caught.value.problems), caught.value.problems
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ScrapingJob)) == 0


def test_a_due_schedule_queues_no_run_while_the_budget_is_reached(db, dollar_requests, analyst,
                                                                  make_job) -> None:
    job_id = make_job(analyst)
    with db.transaction() as session:
        budgets.set_budget(session, analyst, daily="2")
        job = session.get_one(ScrapingJob, job_id)
        job.schedule_cron, job.next_run_at = "* * * * *", utcnow() - timedelta(minutes=1)
    with db.transaction() as session:
        ledger.record(session, Owner(analyst.id), [Charge(CostKind.REQUESTS, 2)])
    with db.transaction() as session:
        assert runs.enqueue_due_runs(session) == 0
        assert session.scalar(select(func.count()).select_from(Run)) == 0
        assert session.get_one(ScrapingJob, job_id).next_run_at > utcnow()  # the slot moved on
