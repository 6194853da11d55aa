"""What work cost, where the work is shown: the cost expander of a run (Runs page), a build
(Objective builder) and a crawl (Site crawl), each after real work recorded its cost in the
ledger; and the Overview's month spend against the monthly budget."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from core import budgets, ledger
from core.ledger import Charge, CostKind, Owner, prices
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.platform.settings import get_settings
from core.seo import crawls
from core.worker import execute_one
from tests.core.test_builds import catalog, create
from tests.pages.conftest import shown, texts

REQUEST_USD = Decimal("0.25")


@pytest.fixture
def priced_requests(db, admin) -> None:  # type: ignore[no-untyped-def]
    """The starting price table, with requests at $0.25 each so their cost is plain to see."""
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        prices.set_price(session, admin, prices.read_new_price(
            "requests", str(REQUEST_USD), effective_from=datetime(2001, 1, 1, tzinfo=timezone.utc)))


def cost_expander(at):  # type: ignore[no-untyped-def]
    """The page's one cost expander: its label and its table as {kind: (quantity, USD)}."""
    found = [e for e in at.expander if shown(e.label).startswith(":material/payments: Cost: ")]
    assert len(found) == 1, [e.label for e in at.expander]
    table = found[0].dataframe[0].value
    return (shown(found[0].label).removeprefix(":material/payments: "),
            {row.kind: (row.quantity, row.USD) for row in table.itertuples()})


def requests_cost(rows) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    quantity, usd = rows["requests"]
    assert quantity > 0 and usd == pytest.approx(quantity * float(REQUEST_USD))
    return quantity, usd


@pytest.mark.usefixtures("local_fetching", "priced_requests")
def test_a_runs_cost_is_on_the_runs_page(app, db, analyst, make_job) -> None:
    job_id = make_job(analyst)
    with db.transaction() as session:
        run = runs.start_run(session, analyst, job_id)
        assert claim(session, run.id, "pytest")
    execute_run(db, run.id)
    with db.transaction() as session:
        done = runs.get_run(session, analyst, run.id)
        spent = ledger.cost_of(session, ledger.Scope(run_id=run.id))
    at = app(analyst.email).switch_page("pages/runs.py").run()
    assert not at.exception
    label, rows = cost_expander(at)
    assert label.startswith(f"Cost: ${spent:,.4f} · {done.credits_charged:,.2f} credits")
    quantity, _ = requests_cost(rows)
    assert quantity >= done.pages_fetched  # one request a page, retries on top
    assert rows["bytes_fetched"][0] > 0


@pytest.mark.usefixtures("priced_requests")
def test_a_builds_cost_is_on_the_builder(app, db, analyst, site, local_fetching) -> None:
    build = create(db, analyst, urls=catalog(site, 1, 2))
    with db.transaction() as session:
        spent = ledger.cost_of(session, ledger.Scope(build_id=build.id))
    at = app(analyst.email).switch_page("pages/builder.py").run()
    assert not at.exception
    label, rows = cost_expander(at)
    assert label.startswith(f"Cost: ${spent:,.4f}") and spent > 0
    quantity, _ = requests_cost(rows)
    assert quantity >= 2  # the two sample pages


@pytest.mark.usefixtures("app_env", "priced_requests")
def test_a_crawls_cost_is_on_the_site_crawl_page(app, db, analyst, seo_site,
                                                  monkeypatch) -> None:
    for name, value in {"EXECUTOR": "queue", "ALLOW_PRIVATE_ADDRESSES": "1",
                        "FETCH_DELAY_SECONDS": "0", "FETCH_MAX_RETRIES": "0"}.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    with db.transaction() as session:
        crawl = crawls.start_crawl(session, analyst, seo_site.base_url + "/", 10, {"delay": 0})
    execute_one(db, "seo-crawl", crawl.id)
    with db.transaction() as session:
        done = crawls.get_crawl(session, analyst, crawl.id)
        spent = ledger.cost_of(session, ledger.Scope(crawl_id=crawl.id))
    at = app(analyst.email).switch_page("pages/seo_crawl.py").run()
    assert not at.exception
    label, rows = cost_expander(at)
    assert label.startswith(f"Cost: ${spent:,.4f}")
    quantity, _ = requests_cost(rows)
    assert quantity >= done.pages_crawled > 0


def test_the_overview_shows_the_months_spend_against_the_budget(app, db, analyst) -> None:
    with db.transaction() as session:
        budgets.set_budget(session, analyst, monthly="8")
        ledger.record(session, Owner(analyst.id), [Charge(CostKind.REQUESTS, 8, Decimal("2"))])
    at = app(analyst.email)  # the Overview is the first page
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spent this month"] == "$2.0000"
    assert metrics["Monthly budget"] == "$8.0000"
    assert metrics["Forecast to month end"].startswith("$")
    assert [p.proto.text for p in at.get("progress")] == ["25 % of the monthly budget"]


def test_without_a_budget_the_overview_says_no_limit(app, analyst) -> None:
    at = app(analyst.email)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spent this month"] == "$0.0000"
    assert not at.get("progress")
    assert "Costs" in texts(at, "subheader")
