"""Cost reports: what a user (or, for admins, everyone) spent over a period, read from the
ledger's daily summaries (``core.ledger.summed``) so a report costs a few small queries however
many ledger rows there are. Owns no table: the Costs page, the Overview and ``python -m core
costs summary`` read it.

A ``CostReport`` has the totals per kind (with how many rows were unpriced), the spend per day
and kind (the stacked chart), per job, per model, per user (admins), cost per run / page / item /
valid item from the runs of the period (what runs spent, read from the per-job summaries), and
the forecast to the end of the month with the day the monthly budget would be crossed at the
current rate.

``waste`` reads the runs started in the period and their own ledger rows (by the run index, so
it costs what those runs recorded, not the user's whole ledger): what failed and canceled runs
cost, runs that found nothing, retried requests, and pages fetched that yielded no item.
``work_cost`` is what one run, build or crawl cost, by kind, with the quantities that explain it.
"""

from __future__ import annotations

import calendar
import enum
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import budgets, ledger
from core.ledger import By, Summed
from core.platform.access import Actor
from core.platform.errors import NotFound, PermissionDenied
from db.models import Build, CostKind, Run, RunResult, ScrapingJob, SeoCrawl, User
from db.models.budgets import BudgetPeriod
from db.types import utcnow
from vocabularies import WorkStatus


LEDGER_PLACES = Decimal("1E-10")  # cost_events.cost_usd is NUMERIC(20, 10)


class Period(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    DAYS_30 = "30d"


class Breakdown(enum.StrEnum):
    """How a cost report's lines are grouped (``CostReport.lines``; ``costs summary --by``)."""

    KIND = "kind"
    JOB = "job"
    MODEL = "model"
    USER = "user"  # admins' everyone-report only


def period_bounds(period: Period, today: date) -> tuple[date, date]:
    if period is Period.DAYS_30:
        return today - timedelta(days=29), today + timedelta(days=1)
    return budgets.period_bounds({Period.DAY: BudgetPeriod.DAILY, Period.WEEK: BudgetPeriod.WEEKLY,
                                  Period.MONTH: BudgetPeriod.MONTHLY}[Period(period)], today)


@dataclass(frozen=True)
class Line:
    group: str  # a day, a job name, "provider/model", an email…
    cost_usd: Decimal
    quantity: Decimal = Decimal(0)
    kind: str = ""
    unpriced: int = 0


@dataclass(frozen=True)
class Forecast:
    month_to_date_usd: Decimal
    month_end_usd: Decimal  # at the month's average daily rate so far
    monthly_budget_usd: Decimal | None
    crosses_on: date | None  # the day the monthly budget would be crossed at that rate


@dataclass(frozen=True)
class CostReport:
    period: Period
    since: date
    until: date  # exclusive
    total_usd: Decimal
    unpriced_rows: int
    by_kind: list[Line]
    by_day: list[Line]  # one line per day and kind
    by_job: list[Line]
    by_model: list[Line]
    by_user: list[Line] = field(default_factory=list)  # admins' everyone-report only
    runs: int = 0
    pages: int = 0
    items: int = 0  # items the runs found
    forecast: Forecast | None = None
    valid_items: int = 0  # items the runs stored: new, and valid when the schema is strict
    runs_usd: Decimal = Decimal(0)  # what runs (jobs) spent; builds, SEO and tests left out

    def lines(self, by: Breakdown) -> list[Line]:
        return {Breakdown.KIND: self.by_kind, Breakdown.JOB: self.by_job,
                Breakdown.MODEL: self.by_model, Breakdown.USER: self.by_user}[by]

    def per(self, count: int) -> Decimal | None:
        """What runs spent per run / page / item (None: none in the period)."""
        return None if not count else (self.runs_usd / count).quantize(Decimal("0.000001"))


def _lines(rows: list[Summed], names: dict[str, str] | None = None) -> list[Line]:
    sums: dict[str, list[Decimal | int]] = {}
    for r in rows:
        found = sums.setdefault(r.group, [Decimal(0), 0])
        found[0] += r.cost_usd
        found[1] += r.unpriced
    lines = [Line((names or {}).get(g, g) or "(none)", Decimal(v[0]), unpriced=int(v[1]))
             for g, v in sums.items()]
    return sorted(lines, key=lambda line: line.cost_usd, reverse=True)


def report(session: Session, actor: Actor, period: Period | str = Period.MONTH, *,
           everyone: bool = False, today: date | None = None) -> CostReport:
    """The actor's costs over the period that holds ``today`` (UTC); ``everyone`` (admins)
    adds every user's and a by-user breakdown."""
    period, today = Period(period), today or utcnow().date()
    if everyone and not actor.is_admin:
        raise PermissionDenied("Only an admin sees everyone's costs.")
    since, until = period_bounds(period, today)
    user_id = None if everyone else actor.id
    kinds = ledger.summed(session, since, until, user_id=user_id, by=By.KIND)
    by_kind = [Line(r.kind.value, r.cost_usd, r.quantity, r.kind.value, r.unpriced) for r in kinds]
    by_day = [Line(r.group, r.cost_usd, r.quantity, r.kind.value, r.unpriced)
              for r in ledger.summed(session, since, until, user_id=user_id, by=By.DAY)]
    jobs = ledger.summed(session, since, until, user_id=user_id, by=By.JOB)
    job_names = {str(i): n for i, n in session.execute(select(ScrapingJob.id, ScrapingJob.name)
        .where(ScrapingJob.id.in_([uuid.UUID(r.group) for r in jobs if r.group])))}
    by_user: list[Line] = []
    if everyone:
        users = ledger.summed(session, since, until, by=By.USER)
        emails = {str(i): e for i, e in session.execute(select(User.id, User.email))}
        by_user = _lines(users, emails)
    runs = select(func.count(), func.coalesce(func.sum(Run.pages_fetched), 0),
                  func.coalesce(func.sum(Run.items_found), 0),
                  func.coalesce(func.sum(Run.items_extracted), 0)).where(
        Run.created_at >= _at(since), Run.created_at < _at(until))
    if user_id is not None:
        runs = runs.where(Run.user_id == user_id)
    count, pages, items, valid = session.execute(runs).one()
    return CostReport(period, since, until, sum((r.cost_usd for r in by_kind), Decimal(0)),
                      sum(r.unpriced for r in by_kind), by_kind, by_day,
                      _lines(jobs, job_names | {"": "(no job: builds, SEO, tests)"}),
                      _lines(ledger.summed(session, since, until, user_id=user_id,
                                           by=By.MODEL)),
                      by_user, int(count), int(pages), int(items),
                      forecast(session, actor, today) if not everyone else None, int(valid),
                      sum((r.cost_usd for r in jobs if r.group), Decimal(0)))


def _at(day: date):  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc)


def forecast(session: Session, actor: Actor, today: date | None = None) -> Forecast:
    """This month so far, projected to its end at the average daily rate of the days gone
    (today counted in full), and the day the monthly budget would be crossed at that rate."""
    today = today or utcnow().date()
    start = today.replace(day=1)
    days = calendar.monthrange(today.year, today.month)[1]
    so_far = ledger.spent(session, actor.id, start, today + timedelta(days=1))
    elapsed = (today - start).days + 1
    rate = so_far / elapsed
    limit = budgets.get_budget(session, actor, today=today).limits[BudgetPeriod.MONTHLY]
    crosses = None
    if limit is not None:
        if so_far >= limit:
            crosses = today
        elif rate > 0:
            day = start + timedelta(days=int((Decimal(limit) / rate).to_integral_value(
                rounding="ROUND_CEILING")) - 1)
            crosses = day if day.month == today.month else None
    # The ledger's own precision: a month of fractions of a cent is not $0.0000 (the views round).
    return Forecast(so_far.quantize(LEDGER_PLACES), (rate * days).quantize(LEDGER_PLACES),
                    None if limit is None else Decimal(limit), crosses)


# --- Waste ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Waste:
    """What the period's runs spent for nothing, in disjoint parts: whole failed and canceled
    runs, whole runs that found no item ("empty"), and in the other runs the retried requests
    (at the run's average price per request) and the pages that yielded no item (their share of
    the run's cost)."""

    runs_usd: Decimal  # everything the period's runs spent
    failed: Line  # quantity: runs
    canceled: Line
    empty: Line
    retries: Line  # quantity: retried requests
    empty_pages: Line  # quantity: pages

    @property
    def lines(self) -> list[Line]:
        return [self.failed, self.canceled, self.empty, self.retries, self.empty_pages]

    @property
    def total_usd(self) -> Decimal:
        return sum((line.cost_usd for line in self.lines), Decimal(0))


NO_WASTE = Waste(Decimal(0), *(Line(name, Decimal(0)) for name in (
    "failed", "canceled", "empty", "retries", "empty_pages")))


def waste(session: Session, actor: Actor, period: Period | str = Period.MONTH, *,
          everyone: bool = False, today: date | None = None) -> Waste:
    """The waste among the runs started in the period (the actor's; admins: ``everyone``)."""
    period, today = Period(period), today or utcnow().date()
    if everyone and not actor.is_admin:
        raise PermissionDenied("Only an admin sees everyone's costs.")
    since, until = period_bounds(period, today)
    scope = [Run.created_at >= _at(since), Run.created_at < _at(until)]
    if not everyone:
        scope.append(Run.user_id == actor.id)
    spent = ledger.per_run(session, *scope)
    runs: dict[uuid.UUID, dict[str, Any]] = {}
    for run_id, status, found, processed in session.execute(
            select(Run.id, Run.status, Run.items_found, Run.urls_processed).where(*scope)):
        if run_id not in spent:
            continue
        kinds = spent[run_id]
        requests, requests_usd = kinds.get(CostKind.REQUESTS, (Decimal(0), Decimal(0)))
        runs[run_id] = {"status": status, "found": found, "urls": processed,
                        "usd": sum((usd for _, usd in kinds.values()), Decimal(0)),
                        "requests": requests, "requests_usd": requests_usd, "empty_pages": 0}
    empty_pages = select(RunResult.run_id, func.count()).join(Run, Run.id == RunResult.run_id) \
        .where(*scope, RunResult.success.is_(True),
               RunResult.data["items"].as_integer() == 0).group_by(RunResult.run_id)
    for run_id, count in session.execute(empty_pages):
        if run_id in runs:
            runs[run_id]["empty_pages"] = int(count)
    parts: dict[str, list[Any]] = {name: [Decimal(0), 0] for name in (
        "failed", "canceled", "empty", "retries", "empty_pages")}
    for run in runs.values():
        whole = {WorkStatus.FAILED: "failed", WorkStatus.CANCELED: "canceled"}.get(run["status"])
        if whole is None and run["found"] == 0 and run["status"] in WorkStatus.FINISHED:
            whole = "empty"
        if whole is not None:
            parts[whole][0] += run["usd"]
            parts[whole][1] += 1
            continue
        retried = max(run["requests"] - run["urls"], Decimal(0))
        retry_usd = (run["requests_usd"] / run["requests"] * retried) if run["requests"] else \
            Decimal(0)
        parts["retries"][0] += retry_usd
        parts["retries"][1] += int(retried)
        if run["empty_pages"] and run["urls"]:
            parts["empty_pages"][0] += (run["usd"] - retry_usd) / run["urls"] * run["empty_pages"]
            parts["empty_pages"][1] += run["empty_pages"]
    lines = {name: Line(name, Decimal(usd).quantize(Decimal("0.000001")), Decimal(n))
             for name, (usd, n) in parts.items()}
    return Waste(sum((r["usd"] for r in runs.values()), Decimal(0)), lines["failed"],
                 lines["canceled"], lines["empty"], lines["retries"], lines["empty_pages"])


# --- One run, build or crawl ---------------------------------------------------------------------

@dataclass(frozen=True)
class WorkCost:
    """What one run, build or crawl cost: per kind, the quantity and its cost (None: unpriced),
    the total of the priced rows, and (runs) the credits charged."""

    total_usd: Decimal
    unpriced: int
    lines: list[Line]
    credits: Decimal | None = None


def work_cost(session: Session, actor: Actor, *, run_id: uuid.UUID | None = None,
              build_id: uuid.UUID | None = None, crawl_id: uuid.UUID | None = None) -> WorkCost:
    """Its owner's (or an admin's) view of what one piece of work cost."""
    owner: uuid.UUID | None
    credits = None
    if run_id is not None:
        row = session.execute(select(Run.user_id, Run.credits_charged)
                              .where(Run.id == run_id)).one_or_none()
        owner, credits = (row[0], Decimal(row[1] or 0)) if row else (None, None)
    elif build_id is not None:
        owner = session.scalar(select(Build.user_id).where(Build.id == build_id))
    else:
        owner = session.scalar(select(SeoCrawl.user_id).where(SeoCrawl.id == crawl_id))
    if owner is None:
        raise NotFound("No such run, build or crawl.")
    if owner != actor.id and not actor.is_admin:
        raise PermissionDenied("Only its owner or an admin sees what this cost.")
    found = ledger.totals(session, ledger.Scope(run_id=run_id, build_id=build_id,
                                                crawl_id=crawl_id))
    lines = [Line(t.kind.value, t.cost_usd, t.quantity, t.kind.value, t.unpriced) for t in found]
    return WorkCost(sum((t.cost_usd for t in found), Decimal(0)), sum(t.unpriced for t in found),
                    lines, credits)
