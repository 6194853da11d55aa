"""Plans and credits (``core.credits``) by example: admins define and assign plans and grant
credits; what is refused (and that nothing is written then); limits at start (runs a month, runs
at once, credits) and while running (credits used up, longest run); a run's credits by the rule,
drawn from the plan's included credits first, then from the balance."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from core import credits, ledger
from core.credits import PlanLimitReached
from core.ledger import prices
from core.platform.errors import NotFound, PermissionDenied, ValidationError
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from db.models import AuditLog, CreditGrant, Run, SubscriptionTier
from db.types import utcnow
from tests.conftest import slow_pages_job


def plan(db, admin, slug="starter", **limits):  # type: ignore[no-untyped-def]
    values = {"executions": 10, "concurrent": 2, "max_minutes": 60, "credits": 100} | limits
    with db.transaction() as session:
        return credits.save_plan(session, admin, slug, name=slug.capitalize(), **values)


def assign(db, admin, user, slug="starter"):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return credits.assign_plan(session, admin, user.id, slug)


def test_an_admin_defines_and_assigns_a_plan_and_the_user_sees_it(db, admin, analyst) -> None:
    plan(db, admin, executions=200, concurrent=3, max_minutes=30, credits=500)
    standing = assign(db, admin, analyst)
    assert standing.plan is not None and standing.plan.slug == "starter"
    with db.transaction() as session:
        mine = credits.standing(session, analyst)
        listed = credits.list_plans(session)
    assert (mine.plan.monthly_execution_limit, mine.plan.max_concurrent_runs,
            mine.plan.max_execution_duration_minutes, mine.plan.credits_included) == \
        (200, 3, 30, 500)
    assert (mine.runs_started, mine.credits_used, mine.balance, mine.available) == \
        (0, 0, 0, 500)
    assert [(p.slug, p.users) for p in listed] == [("starter", 1)]
    with db.transaction() as session:  # a user reads their own standing only
        with pytest.raises(PermissionDenied):
            credits.standing(session, analyst, admin.id)
        with pytest.raises(PermissionDenied, match="Only an admin can define plans"):
            credits.save_plan(session, analyst, "mine", executions=1, concurrent=1)


@pytest.mark.parametrize("limits, message", [
    ({"executions": -5}, "Runs a month must be from 1"),
    ({"executions": "many"}, "Runs a month must be a whole number"),
    ({"concurrent": 0}, "Runs at once must be from 1 to 1,000"),
    ({"max_minutes": 100_000}, "Longest run \\(minutes\\) must be from 1 to 10,080"),
    ({"credits": 2.5}, "Credits included a month must be a whole number"),
    ({"credits": -1}, "Credits included a month must be from 0"),
])
def test_a_plan_with_nonsense_limits_is_refused_and_nothing_is_written(db, admin, limits,
                                                                       message) -> None:
    with pytest.raises(ValidationError, match=message):
        plan(db, admin, **limits)
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(SubscriptionTier)) == 0


def test_grants_add_to_the_balance_and_bad_grants_write_nothing(db, admin, analyst) -> None:
    with db.transaction() as session:
        credits.save_package(session, admin, "Top-up 1k", 1000, 900)
        credits.grant(session, admin, analyst.id, package="Top-up 1k", note="welcome")
        found = credits.grant(session, admin, analyst.id, "12.5")
    assert found.balance == Decimal("1012.5")
    assert sorted((g.credits, g.package or "") for g in found.grants) == [
        (Decimal("12.5"), ""), (Decimal(1000), "Top-up 1k")]
    for bad, error, message in [
            ({"credits": "-3"}, ValidationError, "more than zero"),
            ({"credits": "ten"}, ValidationError, "must be a number"),
            ({"credits": "NaN"}, ValidationError, "more than zero"),
            ({"package": "Gold"}, NotFound, "No credit package 'Gold'.*Top-up 1k"),
            ({}, ValidationError, "how many credits")]:
        with pytest.raises(error, match=message), db.transaction() as session:
            credits.grant(session, admin, analyst.id, **bad)
    with pytest.raises(NotFound), db.transaction() as session:
        credits.grant(session, admin, uuid.uuid4(), "5")
    with pytest.raises(PermissionDenied), db.transaction() as session:
        credits.grant(session, analyst, analyst.id, "5")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CreditGrant)) == 2
        assert credits.standing(session, analyst).balance == Decimal("1012.5")
        assert session.scalar(select(func.count()).select_from(AuditLog).where(
            AuditLog.action == "credits.grant")) == 2


def test_runs_a_month_and_runs_at_once_are_enforced_at_start(db, admin, analyst,
                                                             make_job) -> None:
    plan(db, admin, executions=2, concurrent=1)
    assign(db, admin, analyst)
    first, second = make_job(analyst), make_job(analyst)
    with db.transaction() as session:
        runs.start_run(session, analyst, first)
    with pytest.raises(PlanLimitReached, match="allows 1 runs at once and 1 are queued"), \
            db.transaction() as session:
        runs.start_run(session, analyst, second)
    with db.transaction() as session:  # the first ends; the second may start
        session.execute(Run.__table__.update().values(status="completed"))
        runs.start_run(session, analyst, second)
        session.execute(Run.__table__.update().values(status="completed"))
    with pytest.raises(PlanLimitReached, match="allows 2 runs a month and 2 were started"), \
            db.transaction() as session:
        runs.start_run(session, analyst, first)
    with db.transaction() as session:
        assert credits.standing(session, analyst).runs_started == 2
        assert session.scalar(select(func.count()).select_from(Run)) == 2


def test_no_credits_left_refuses_a_run_naming_how_to_get_more(db, admin, analyst,
                                                              make_job) -> None:
    plan(db, admin, credits=0)
    assign(db, admin, analyst)
    job_id = make_job(analyst)
    with pytest.raises(PlanLimitReached, match="credits are used up.*credits grant"), \
            db.transaction() as session:
        runs.start_run(session, analyst, job_id)
    with db.transaction() as session:
        credits.grant(session, admin, analyst.id, "1")
        runs.start_run(session, analyst, job_id)  # the balance allows it


def test_a_run_longer_than_the_plan_allows_is_told_to_stop(db, admin, analyst) -> None:
    plan(db, admin, max_minutes=30)
    assign(db, admin, analyst)
    now = utcnow()
    with db.transaction() as session:
        assert credits.while_running(session, analyst.id, now - timedelta(minutes=29), now) \
            is None
        reason = credits.while_running(session, analyst.id, now - timedelta(minutes=30), now)
        assert credits.while_running(session, admin.id, now - timedelta(days=3), now) is None
    assert reason is not None
    assert reason.startswith("stopped: plan limit reached: runs on your plan 'Starter' last at "
                             "most 30 minutes")


@pytest.mark.usefixtures("local_fetching")
def test_a_run_is_charged_by_the_rule_and_stops_when_its_credits_are_used_up(
        db, admin, analyst, site) -> None:
    with db.transaction() as session:
        prices.seed_starting_prices(session)
    plan(db, admin, credits=3)
    assign(db, admin, analyst)
    with db.transaction() as session:
        credits.grant(session, admin, analyst.id, "1")
        job_id = slow_pages_job(session, analyst, site, name="slow")
        run = runs.start_run(session, analyst, job_id)
        assert claim(session, run.id, "pytest")
    assert execute_run(db, run.id) == "stopped_budget"
    with db.transaction() as session:
        done = runs.get_run(session, analyst, run.id)
        spent = ledger.quantities(session, ledger.Scope(run_id=run.id))
        standing = credits.standing(session, analyst)
    assert done.error_message.startswith("stopped: plan limit reached: your credits are used up")
    assert 4 <= done.pages_fetched < 20
    # the rule: one credit per request here (no renders, no model)
    assert done.credits_charged == spent[ledger.CostKind.REQUESTS]
    assert standing.credits_used == done.credits_charged
    # 3 included first, then the balance of 1: overdrawn by at most a heartbeat's requests
    assert standing.balance == 1 - (done.credits_charged - 3) and standing.available <= 0
    assert standing.runs_started == 1
