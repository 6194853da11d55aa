"""Budgets (``core.budgets``) by example: setting one (and what is refused), alerts that fire
once per period, the notifications they leave, new work refused at the limit, and a running run
stopped by its budget with its results kept."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import budgets, ledger
from core.budgets import BudgetReached
from core.ledger import Charge, CostKind, Owner, prices
from core.platform.errors import PermissionDenied, ValidationError
from core.platform.settings import get_settings
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from db.models import CostBudget, Result
from tests.conftest import slow_pages_job

TODAY = date(2026, 12, 5)


@pytest.fixture
def dollar_requests(db, admin) -> None:
    """Requests at $1 each from 2000 on, so a few pages reach a budget."""
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        prices.set_price(session, admin, prices.read_new_price(
            "requests", "1", effective_from=datetime(2001, 1, 1, tzinfo=timezone.utc)))


def spend(db, user, requests: int) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        ledger.record(session, Owner(user.id), [Charge(CostKind.REQUESTS, requests)],
                      at=datetime(2026, 12, 5, 12, tzinfo=timezone.utc))


@pytest.mark.parametrize("values, message", [
    ({"daily": "-5"}, "zero or more"),
    ({"weekly": "lots"}, "must be a number"),
    ({"daily": "10", "thresholds": [50, 120]}, "from 1 to 100"),
    ({"daily": "2"}, "below what this day has already spent"),
])
def test_bad_budgets_are_refused_and_nothing_is_written(db, dollar_requests, analyst, values,
                                                       message) -> None:
    spend(db, analyst, 3)
    with pytest.raises(ValidationError, match=message), db.transaction() as session:
        budgets.set_budget(session, analyst, today=TODAY, **values)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CostBudget)) == 0


def test_only_an_admin_sets_someone_elses_budget(db, analyst, make_user) -> None:
    other = make_user()
    with pytest.raises(PermissionDenied), db.transaction() as session:
        budgets.set_budget(session, analyst, other.id, daily="5")


def test_each_threshold_fires_once_per_period_and_notifications_are_kept(
        db, dollar_requests, analyst, admin) -> None:
    with db.transaction() as session:  # an admin may set anyone's budget
        budgets.set_budget(session, admin, analyst.id, daily="10", thresholds=[50, 80, 100],
                           auto_stop=False, today=TODAY)
    spend(db, analyst, 6)  # 60 %: the 50 % alert
    with db.transaction() as session:
        assert budgets.after_charge(session, analyst.id, today=TODAY) is None
        assert budgets.after_charge(session, analyst.id, today=TODAY) is None  # not twice
        assert budgets.unread_count(session, analyst) == 1
    spend(db, analyst, 5)  # 110 %: 80 % and 100 %; no stop (auto-stop off)
    with db.transaction() as session:
        assert budgets.after_charge(session, analyst.id, today=TODAY) is None
        titles = [n.title for n in budgets.notifications(session, analyst)]
    assert sorted(titles) == ["Daily budget reached", "Daily budget: 50 % reached",
                              "Daily budget: 80 % reached"]
    with db.transaction() as session:
        assert budgets.mark_read(session, analyst) == 3
    with db.transaction() as session:
        assert budgets.unread_count(session, analyst) == 0
        assert len(budgets.notifications(session, analyst)) == 3  # kept once read
        status = budgets.get_budget(session, analyst, today=TODAY).spend[0]
    assert (status.period.value, status.spent_usd, status.reached) == ("daily", 11, True)


def test_new_work_is_refused_at_the_limit_naming_the_budget(db, dollar_requests, analyst,
                                                           make_job) -> None:
    job_id = make_job(analyst)
    with db.transaction() as session:
        budgets.set_budget(session, analyst, monthly="5")
    with db.transaction() as session:  # spend today, whatever today is
        ledger.record(session, Owner(analyst.id), [Charge(CostKind.REQUESTS, 5)])
    with pytest.raises(BudgetReached, match="monthly budget of \\$5.00.*raise it"), \
            db.transaction() as session:
        runs.start_run(session, analyst, job_id)


@pytest.mark.usefixtures("local_fetching")
def test_a_running_run_stops_at_its_budget_and_keeps_its_results(db, dollar_requests, analyst,
                                                                 site) -> None:
    with db.transaction() as session:
        budgets.set_budget(session, analyst, daily="3")
        job_id = slow_pages_job(session, analyst, site)
        run = runs.start_run(session, analyst, job_id)
        assert claim(session, run.id, "pytest")
    assert execute_run(db, run.id) == "stopped_budget"
    with db.transaction() as session:
        done = runs.get_run(session, analyst, run.id)
        kept = session.scalar(select(func.count()).select_from(Result).where(
            Result.job_id == job_id))
    assert done.status == "stopped_budget"
    assert done.error_message.startswith("stopped: budget reached: your daily budget of $3.00")
    assert done.error_message.endswith(
        f"The {kept} items found until then are kept." if kept > 1
        else "The one item found until then is kept." if kept == 1
        else "Nothing was found before that.")
    assert 3 <= done.pages_fetched < 20  # stopped within a heartbeat of the limit
    # "Stopped after N pages": the URLs left in the queue at the stop were never processed.
    assert done.urls_processed == done.pages_fetched + done.errors_count
    assert kept == done.items_extracted
    with db.transaction() as session:
        assert budgets.unread_count(session, analyst) >= 1
        with pytest.raises(BudgetReached):
            runs.start_run(session, analyst, job_id)
