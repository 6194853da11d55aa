"""Plans and credits: the one owner of ``subscription_tiers``, ``user_subscriptions``,
``subscription_usage_records``, ``user_credits``, ``credit_packages`` and ``credit_grants``
(seed 001), and the writer of ``runs.credits_charged`` (seed 002).

- Plans (admins): ``save_plan`` (monthly runs, runs at once, longest run in minutes, credits
  included a month), ``assign_plan`` (or none), ``list_plans``.
- Credits (admins): ``save_package``, ``grant`` (a package's credits, or an amount; no payment
  provider), each grant kept in ``credit_grants`` and the audit log.
- ``standing``: a user's plan, this month's usage and their balance.
- Limits, for users on a plan (a user on none has no plan limits; budgets still apply):
  ``check_start`` refuses a run when the month's runs, the runs at once or the credits are used
  up, naming the limit and how to raise it, and counts the run; ``while_running`` says why a
  running run must stop (credits used up, or longer than the plan allows). Both read and write
  the database under the subscription's row lock, so they hold with several workers.
- Charging (``charge``, ``settle_run``): a run is charged by the credit rule
  (``core.ledger.credits_for``: 1 credit per request, retries included, + 4 per page rendered +
  1 per 1,000 model tokens) at every heartbeat from what it just spent, and settled from its
  ledger rows when it ends. Credits come from the plan's included credits for the month first,
  then from the balance; a run may overdraw by at most one heartbeat's worth before it stops.

Periods are calendar months, UTC. Credits have four decimals.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import ledger
from core.platform import audit
from core.platform.access import Actor
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.platform.records import get_or_create
from db.models import Run, User
from db.models.plans import (
    CREDIT_TYPE, CreditGrant, CreditPackage, SubscriptionTier, SubscriptionUsageRecord,
    UserCredit, UserSubscription,
)
from db.types import utcnow
from vocabularies import WorkStatus

STOPPED = "stopped: plan limit reached"
HOW_TO_RAISE = ("ask an admin for a bigger plan or more credits (`python -m core credits grant`), "
                "or wait for the next month")
MAX_LIMIT = 1_000_000  # any plan limit above this is a typo
MAX_MINUTES = 7 * 24 * 60  # a week: the longest run a plan may allow
MAX_CREDITS = Decimal(1_000_000_000)


class PlanLimitReached(Conflict):
    """New work refused by the user's plan: the message names the limit and how to raise it."""


# --- Reading input -------------------------------------------------------------------------------

def _whole(value: Any, what: str, least: int, most: int = MAX_LIMIT) -> int:
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        raise ValidationError(f"{what} must be a whole number, not {value!r}.") from None
    if isinstance(value, float) and not value.is_integer():
        raise ValidationError(f"{what} must be a whole number, not {value!r}.")
    if not least <= number <= most:
        raise ValidationError(f"{what} must be from {least:,} to {most:,}, not {number:,}.")
    return number


def read_credits(value: Any, what: str = "Credits") -> Decimal:
    """A positive, finite amount of credits (four decimals at most), or a ValidationError."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} must be a number, not {value!r}.") from None
    if not amount.is_finite() or amount <= 0:
        raise ValidationError(f"{what} must be more than zero, not {value!r}.")
    if amount > MAX_CREDITS or amount != amount.quantize(Decimal("0.0001")):
        raise ValidationError(f"{what} must be at most {MAX_CREDITS:,} with at most four "
                              f"decimals, not {value!r}.")
    return amount


def _admin(actor: Actor, what: str) -> None:
    if not actor.is_admin:
        raise PermissionDenied(f"Only an admin can {what}.")


def _month(today: date) -> tuple[date, date]:
    start = today.replace(day=1)
    return start, (start + timedelta(days=32)).replace(day=1)


# --- Plans ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    id: uuid.UUID
    slug: str
    name: str
    description: str
    monthly_execution_limit: int
    max_concurrent_runs: int
    max_execution_duration_minutes: int
    credits_included: int
    monthly_price_cents: int
    is_active: bool
    users: int = 0


def _plan(row: SubscriptionTier, users: int = 0) -> Plan:
    return Plan(row.id, row.slug, row.name, row.description or "", row.monthly_execution_limit,
                row.max_concurrent_runs, row.max_execution_duration_minutes,
                row.credits_included, row.monthly_price_cents, row.is_active, users)


def list_plans(session: Session) -> list[Plan]:
    """Every plan, with how many users are on it (anyone may read the plans)."""
    counts: dict[uuid.UUID, int] = {tier: int(n) for tier, n in session.execute(
        select(UserSubscription.tier_id, func.count()).group_by(UserSubscription.tier_id))}
    rows = session.scalars(select(SubscriptionTier).order_by(SubscriptionTier.sort_order,
                                                             SubscriptionTier.name))
    return [_plan(r, counts.get(r.id, 0)) for r in rows]


def save_plan(session: Session, actor: Actor, slug: str, *, name: str = "",
              executions: Any, concurrent: Any, max_minutes: Any = 60, credits: Any = 0,
              price_cents: Any = 0, description: str = "") -> Plan:
    """Create the plan ``slug`` or change it (admins). Every limit is checked before anything
    is written."""
    _admin(actor, "define plans")
    slug = str(slug).strip().lower()
    if not slug or len(slug) > 50 or not all(c.isalnum() or c in "-_" for c in slug):
        raise ValidationError(f"A plan's slug is 1 to 50 letters, digits, '-' or '_', not "
                              f"{slug!r}.")
    values = {
        "name": (str(name).strip() or slug.capitalize())[:100],
        "monthly_execution_limit": _whole(executions, "Runs a month", 1),
        "max_concurrent_runs": _whole(concurrent, "Runs at once", 1, 1000),
        "max_execution_duration_minutes": _whole(max_minutes, "Longest run (minutes)", 1,
                                                 MAX_MINUTES),
        "credits_included": _whole(credits, "Credits included a month", 0, 10**9),
        "monthly_price_cents": _whole(price_cents, "Monthly price (cents)", 0, 10**9),
        "description": str(description or "").strip(),
    }
    row = session.scalar(select(SubscriptionTier).where(SubscriptionTier.slug == slug))
    old = None
    if row is None:
        row = SubscriptionTier(slug=slug, **values)
        session.add(row)
    else:
        old = {k: getattr(row, k) for k in values}
        for key, value in values.items():
            setattr(row, key, value)
    session.flush()
    audit.record(session, actor, "plan.save", "subscription_tiers", row.id, old=old,
                 new={"slug": slug, **values})
    return _plan(row)


def _plan_by_slug(session: Session, slug: str) -> SubscriptionTier:
    row = session.scalar(select(SubscriptionTier).where(
        SubscriptionTier.slug == str(slug).strip().lower()))
    if row is None:
        known = ", ".join(p.slug for p in list_plans(session)) or "none yet"
        raise NotFound(f"No plan {slug!r} (plans: {known}).")
    return row


def _user(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def assign_plan(session: Session, actor: Actor, user_id: uuid.UUID, slug: str | None,
                today: date | None = None) -> Standing:
    """Put the user on the plan ``slug`` from now on (None: on no plan) (admins). This month's
    runs and credits used so far count against the new plan."""
    _admin(actor, "assign plans")
    _user(session, user_id)
    today = today or utcnow().date()
    current = session.scalar(select(UserSubscription).where(UserSubscription.user_id == user_id)
                             .with_for_update())
    old = None if current is None else {"tier_id": str(current.tier_id)}
    if slug is None:
        if current is not None:
            session.delete(current)
        new = None
    else:
        tier = _plan_by_slug(session, slug)
        start, end = _month(today)
        if current is None:
            current = UserSubscription(user_id=user_id, tier_id=tier.id,
                                       current_period_start=start, current_period_end=end,
                                       assigned_by=actor.id)
            session.add(current)
        else:
            current.tier_id, current.assigned_by = tier.id, actor.id
        session.flush()
        usage = _usage(session, user_id, tier, today)
        usage.tier_id, usage.execution_limit = tier.id, tier.monthly_execution_limit
        usage.credits_included = tier.credits_included
        new = {"tier_id": str(tier.id), "slug": tier.slug}
    session.flush()
    audit.record(session, actor, "plan.assign", "user_subscriptions", user_id, old=old, new=new)
    return standing(session, actor, user_id, today)


def _usage(session: Session, user_id: uuid.UUID, tier: SubscriptionTier,
           today: date, lock: bool = False) -> SubscriptionUsageRecord:
    """This month's usage record (made on first use; a second worker making it too wins
    nothing: the unique index keeps one)."""
    start, end = _month(today)
    query = select(SubscriptionUsageRecord).where(SubscriptionUsageRecord.user_id == user_id,
                                                  SubscriptionUsageRecord.period_start == start)
    return get_or_create(session, query, lambda: SubscriptionUsageRecord(
        user_id=user_id, period_start=start, period_end=end, tier_id=tier.id,
        execution_limit=tier.monthly_execution_limit, credits_included=tier.credits_included,
        credits_used=Decimal(0), executions_used=0, peak_concurrent_runs=0), lock=lock)


# --- Packages and grants -------------------------------------------------------------------------

@dataclass(frozen=True)
class Package:
    id: uuid.UUID
    name: str
    credit_amount: int
    price_cents: int
    description: str
    is_active: bool


def list_packages(session: Session) -> list[Package]:
    rows = session.scalars(select(CreditPackage).order_by(CreditPackage.sort_order,
                                                          CreditPackage.credit_amount))
    return [Package(r.id, r.name, r.credit_amount, r.price, r.description or "", r.is_active)
            for r in rows]


def save_package(session: Session, actor: Actor, name: str, credits: Any, price_cents: Any = 0,
                 description: str = "") -> Package:
    """Create or change the credit package ``name`` (admins)."""
    _admin(actor, "define credit packages")
    name = str(name).strip()
    if not name or len(name) > 200:
        raise ValidationError("A credit package needs a name of 1 to 200 characters.")
    amount = _whole(credits, "A package's credits", 1, 10**9)
    price = _whole(price_cents, "A package's price (cents)", 0, 10**9)
    row = session.scalar(select(CreditPackage).where(CreditPackage.name == name))
    if row is None:
        row = CreditPackage(name=name, credit_amount=amount, price=price,
                            description=description.strip() or None)
        session.add(row)
    else:
        row.credit_amount, row.price = amount, price
        row.description = description.strip() or row.description
    session.flush()
    audit.record(session, actor, "credits.package", "credit_packages", row.id,
                 new={"name": name, "credits": amount, "price_cents": price})
    return Package(row.id, row.name, row.credit_amount, row.price, row.description or "",
                   row.is_active)


def _balance(session: Session, user_id: uuid.UUID, lock: bool = False) -> UserCredit:
    query = select(UserCredit).where(UserCredit.user_id == user_id,
                                     UserCredit.credit_type == CREDIT_TYPE)
    return get_or_create(session, query, lambda: UserCredit(
        user_id=user_id, credit_type=CREDIT_TYPE, balance=Decimal(0),
        total_purchased=Decimal(0), total_used=Decimal(0)), lock=lock)


def grant(session: Session, actor: Actor, user_id: uuid.UUID, credits: Any = None,
          package: str | None = None, note: str = "") -> Standing:
    """Add credits to the user's balance (admins): a package's (``package``, by name), an
    amount (``credits``), or both (the amount then overrides the package's)."""
    _admin(actor, "grant credits")
    found = None
    if package:
        found = session.scalar(select(CreditPackage).where(
            CreditPackage.name == str(package).strip()))
        if found is None:
            known = ", ".join(p.name for p in list_packages(session)) or "none yet"
            raise NotFound(f"No credit package {package!r} (packages: {known}).")
    if credits is None and found is None:
        raise ValidationError("Say how many credits (--credits N) or which package.")
    amount = read_credits(credits) if credits is not None else Decimal(found.credit_amount)  # type: ignore[union-attr]
    _user(session, user_id)
    row = _balance(session, user_id, lock=True)
    row.balance += amount
    row.total_purchased += amount
    session.add(CreditGrant(user_id=user_id, package_id=found.id if found else None,
                            credits=amount, granted_by=actor.id, note=str(note or "")[:1000]))
    session.flush()
    audit.record(session, actor, "credits.grant", "user_credits", user_id,
                 new={"credits": str(amount), "package": found.name if found else None,
                      "balance": str(row.balance)})
    return standing(session, actor, user_id)


# --- Standing ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Grant:
    at: datetime
    credits: Decimal
    package: str | None
    note: str


@dataclass(frozen=True)
class Standing:
    """A user's plan, this month's usage and balance (``plan`` None: no plan, no plan limits)."""

    user_id: uuid.UUID
    plan: Plan | None
    period_start: date
    period_end: date
    runs_started: int
    runs_active: int
    credits_used: Decimal  # this month, plan and balance together
    balance: Decimal
    grants: list[Grant]

    @property
    def included_left(self) -> Decimal:
        if self.plan is None:
            return Decimal(0)
        return max(Decimal(self.plan.credits_included) - self.credits_used, Decimal(0))

    @property
    def available(self) -> Decimal:
        """Credits a run may still draw: what is left of the plan's month, plus the balance."""
        return self.included_left + self.balance


def _active_runs(session: Session, user_id: uuid.UUID) -> int:
    return int(session.scalar(select(func.count()).select_from(Run).where(
        Run.user_id == user_id, Run.status.in_(WorkStatus.ACTIVE))) or 0)


def _standing(session: Session, user_id: uuid.UUID, today: date) -> Standing:
    start, end = _month(today)
    sub = session.scalar(select(UserSubscription).where(UserSubscription.user_id == user_id))
    tier = session.get(SubscriptionTier, sub.tier_id) if sub is not None else None
    usage = session.scalar(select(SubscriptionUsageRecord).where(
        SubscriptionUsageRecord.user_id == user_id,
        SubscriptionUsageRecord.period_start == start))
    balance = session.scalar(select(UserCredit.balance).where(
        UserCredit.user_id == user_id, UserCredit.credit_type == CREDIT_TYPE))
    grants = [Grant(g.created_at, g.credits, name, g.note) for g, name in session.execute(
        select(CreditGrant, CreditPackage.name).outerjoin(
            CreditPackage, CreditPackage.id == CreditGrant.package_id)
        .where(CreditGrant.user_id == user_id).order_by(CreditGrant.created_at.desc())
        .limit(20))]
    return Standing(user_id, _plan(tier) if tier is not None else None, start, end,
                    usage.executions_used if usage else 0, _active_runs(session, user_id),
                    Decimal(usage.credits_used) if usage else Decimal(0),
                    Decimal(balance or 0), grants)


def standing(session: Session, actor: Actor, user_id: uuid.UUID | None = None,
             today: date | None = None) -> Standing:
    """The actor's standing (admins: anyone's)."""
    if user_id is not None and user_id != actor.id and not actor.is_admin:
        raise PermissionDenied("Only an admin can see another user's plan and credits.")
    return _standing(session, user_id or actor.id, today or utcnow().date())


# --- Limits --------------------------------------------------------------------------------------

def _subscription(session: Session, user_id: uuid.UUID,
                  lock: bool = False) -> tuple[UserSubscription, SubscriptionTier] | None:
    query = select(UserSubscription).where(UserSubscription.user_id == user_id)
    sub = session.scalar(query.with_for_update() if lock else query)
    if sub is None:
        return None
    return sub, session.get_one(SubscriptionTier, sub.tier_id)


def check_start(session: Session, user_id: uuid.UUID, today: date | None = None) -> None:
    """Refuse a new run the user's plan does not allow (``PlanLimitReached``), else count it."""
    found = _subscription(session, user_id, lock=True)  # one start at a time per user
    if found is None:
        return
    sub, tier = found
    today = today or utcnow().date()
    usage = _usage(session, user_id, tier, today, lock=True)
    plan = f"your plan '{tier.name}'"
    if usage.executions_used >= tier.monthly_execution_limit:
        raise PlanLimitReached(
            f"This run was not started: {plan} allows {tier.monthly_execution_limit:,} runs a "
            f"month and {usage.executions_used:,} were started since "
            f"{usage.period_start.isoformat()}; {HOW_TO_RAISE}.")
    active = _active_runs(session, user_id)
    if active >= tier.max_concurrent_runs:
        raise PlanLimitReached(
            f"This run was not started: {plan} allows {tier.max_concurrent_runs:,} runs at "
            f"once and {active:,} are queued or running; wait for one to end, or ask an admin "
            "for a bigger plan.")
    left = max(Decimal(tier.credits_included) - Decimal(usage.credits_used), Decimal(0))
    balance = Decimal(_balance(session, user_id).balance)
    if left + balance <= 0:
        raise PlanLimitReached(
            f"This run was not started: your credits are used up ({tier.credits_included:,} "
            f"included with {plan} this month, balance {balance:,.4f}); {HOW_TO_RAISE}.")
    usage.executions_used += 1
    usage.peak_concurrent_runs = max(usage.peak_concurrent_runs, active + 1)
    sub.current_period_start, sub.current_period_end = usage.period_start, usage.period_end


def start_refused(session: Session, user_id: uuid.UUID) -> str | None:
    """``check_start`` for a scheduler: why the run is not queued (None: it was counted)."""
    try:
        check_start(session, user_id)
    except PlanLimitReached as exc:
        return str(exc)
    return None


def while_running(session: Session, user_id: uuid.UUID, started_at: datetime | None,
                  now: datetime | None = None) -> str | None:
    """Why a running run of this user must stop now (its plan's longest run, or credits used
    up), or None."""
    found = _subscription(session, user_id)
    if found is None:
        return None
    _, tier = found
    now = now or utcnow()
    if started_at is not None and now - started_at >= timedelta(
            minutes=tier.max_execution_duration_minutes):
        return (f"{STOPPED}: runs on your plan '{tier.name}' last at most "
                f"{tier.max_execution_duration_minutes:,} minutes; ask an admin for a bigger "
                "plan")
    usage = _usage(session, user_id, tier, now.date())
    left = max(Decimal(tier.credits_included) - Decimal(usage.credits_used), Decimal(0))
    balance = Decimal(_balance(session, user_id).balance)
    if left + balance <= 0:
        return (f"{STOPPED}: your credits are used up ({tier.credits_included:,} included with "
                f"your plan '{tier.name}' this month, balance {balance:,.4f}); {HOW_TO_RAISE}")
    return None


# --- Charging ------------------------------------------------------------------------------------

def _draw(session: Session, user_id: uuid.UUID, credits: Decimal, today: date) -> None:
    """Take ``credits`` (may be negative: a settlement giving some back) from the month's
    included credits first, then from the balance. Users on no plan draw nothing."""
    found = _subscription(session, user_id)
    if found is None or credits == 0:
        return
    _, tier = found
    usage = _usage(session, user_id, tier, today, lock=True)
    included = Decimal(usage.credits_included)
    before = Decimal(usage.credits_used)
    after = before + credits
    usage.credits_used = after
    over = max(after - included, Decimal(0)) - max(before - included, Decimal(0))
    if over:
        row = _balance(session, user_id, lock=True)
        row.balance -= over
        row.total_used += over


def charge(session: Session, user_id: uuid.UUID, run_id: uuid.UUID,
           spent: dict[ledger.CostKind, Decimal | int | float]) -> Decimal:
    """Charge a running run for what it just spent (kind → quantity) by the credit rule; add
    it to ``runs.credits_charged`` and draw it. Returns the credits charged."""
    credits = ledger.credits_for({k: Decimal(str(v)) for k, v in spent.items() if v})
    if credits:
        session.execute(update(Run).where(Run.id == run_id).values(
            credits_charged=Run.credits_charged + credits))
        _draw(session, user_id, credits, utcnow().date())
    return credits


def settle_run(session: Session, run_id: uuid.UUID) -> Decimal:
    """When a run ends: its credits from its ledger rows (the rule applied to everything it
    recorded), written to ``runs.credits_charged``; the difference from what its heartbeats
    charged is drawn (or given back)."""
    session.flush()
    run = session.get_one(Run, run_id)
    total = ledger.credits_for(ledger.quantities(session, ledger.Scope(run_id=run_id)))
    difference = total - Decimal(run.credits_charged or 0)
    session.execute(update(Run).where(Run.id == run_id).values(credits_charged=total))
    _draw(session, run.user_id, difference, utcnow().date())
    return total
