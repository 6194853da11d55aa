"""Prices with history: what each billable kind costs, and since when.

A ``Price`` row is ``usd`` per ``per`` units of one kind, in force over
[``effective_from``, ``effective_until``). Model kinds (input, output, cache-read and cache-write
tokens) are priced per provider and model-name pattern (case-insensitive shell pattern, the
longest matching pattern wins); the other kinds have one catch-all row (provider '', pattern
``*``). The ledger prices every charge that comes without a cost with the price in force when it
is recorded, and stamps the row ``exact``, ``default`` or ``missing`` (``PriceStatus``).

Admins change prices with ``set_price``: a new price from a date closes the row that was open
then; any other overlap, a negative or non-numeric price is refused. ``preview`` shows what a
period would cost at a price without touching anything; only ``reprice`` rewrites recorded
costs, for one chosen period, and says so in the audit log. The starting table ships in
``starting_prices.json`` with its date and source; the migration loads it.
"""

from __future__ import annotations

import fnmatch
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, require_admin
from core.platform.errors import ValidationError
from db.models.costs import MODEL_KINDS, CostEvent, Price, PriceKind, PriceStatus
from db.types import utcnow

STARTING_PRICES = Path(__file__).with_name("starting_prices.json")
USD_PLACES = Decimal("0.0000000001")  # cost_events.cost_usd has 10 decimals (one request)
MAX_USD = Decimal(1_000_000)
CATCH_ALL = "*"


@dataclass(frozen=True)
class PriceRow:
    id: uuid.UUID
    kind: PriceKind
    provider: str
    model_pattern: str
    usd: Decimal
    per: int
    effective_from: datetime
    effective_until: datetime | None
    source: str

    @property
    def is_default(self) -> bool:
        return not self.provider and self.model_pattern == CATCH_ALL

    def cost(self, quantity: Decimal) -> Decimal:
        return (Decimal(quantity) * self.usd / self.per).quantize(USD_PLACES)


def _row(p: Price) -> PriceRow:
    return PriceRow(p.id, PriceKind(p.kind), p.provider, p.model_pattern, Decimal(p.usd),
                    int(p.per), p.effective_from, p.effective_until, p.source)


def _in_force(at: datetime) -> Any:
    return and_(Price.effective_from <= at,
                or_(Price.effective_until.is_(None), Price.effective_until > at))


def prices_in_force(session: Session, kinds: Iterable[str], at: datetime) -> list[PriceRow]:
    wanted = sorted({str(k) for k in kinds})
    if not wanted:
        return []
    return [_row(p) for p in session.scalars(
        select(Price).where(Price.kind.in_(wanted), _in_force(at)))]


def match(rows: Iterable[PriceRow], kind: str, provider: str | None,
          model: str | None) -> tuple[PriceRow | None, PriceStatus]:
    """The price for one charge among ``rows`` (all in force): the most specific row whose
    provider ('' matches any) and pattern match; a catch-all row makes the status ``default``."""
    name, seller = (model or "").strip().lower(), (provider or "").strip().lower()
    candidates = [r for r in rows if r.kind == kind
                  and (not r.provider or r.provider.lower() == seller)
                  and (r.model_pattern == CATCH_ALL
                       or (name and fnmatch.fnmatchcase(name, r.model_pattern.lower())))]
    if not candidates:
        return None, PriceStatus.MISSING
    best = max(candidates, key=lambda r: (not r.is_default, len(r.model_pattern), bool(r.provider)))
    return best, PriceStatus.DEFAULT if best.is_default else PriceStatus.EXACT


# --- Reading and editing the table ---------------------------------------------------------------

def list_prices(session: Session, at: datetime | None = None) -> list[PriceRow]:
    """Every price row (or only those in force ``at``), by kind, provider, pattern, date."""
    query = select(Price)
    if at is not None:
        query = query.where(_in_force(at))
    return [_row(p) for p in session.scalars(query.order_by(
        Price.kind, Price.provider, Price.model_pattern, Price.effective_from))]


def read_amount(value: Any, what: str) -> Decimal:
    """A non-negative finite amount of USD from user input, or a ValidationError."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{what} must be a number, not {value!r}.") from None
    if not amount.is_finite() or amount < 0:
        raise ValidationError(f"{what} must be zero or more, not {value!r}.")
    if amount > MAX_USD:
        raise ValidationError(f"{what} is over {MAX_USD}: that looks like a typo.")
    return amount


def _key(kind: PriceKind, provider: str, pattern: str) -> Any:
    return and_(Price.kind == kind.value, Price.provider == provider,
                Price.model_pattern == pattern)


@dataclass(frozen=True)
class NewPrice:
    kind: PriceKind
    provider: str
    model_pattern: str
    usd: Decimal
    per: int
    effective_from: datetime
    effective_until: datetime | None = None


def read_new_price(kind: Any, usd: Any, *, provider: str = "", model_pattern: str = "",
                   per: Any = 1, effective_from: datetime | None = None,
                   effective_until: datetime | None = None) -> NewPrice:
    try:
        price_kind = PriceKind(str(kind).strip())
    except ValueError:
        raise ValidationError(f"Unknown kind {kind!r}: one of "
                              f"{', '.join(k.value for k in PriceKind)}.") from None
    provider, pattern = provider.strip(), model_pattern.strip() or CATCH_ALL
    if price_kind.value not in {k.value for k in MODEL_KINDS} and (provider or pattern != CATCH_ALL):
        raise ValidationError(f"{price_kind.value} has one price for everything: leave the "
                              "provider and model empty.")
    if len(provider) > 60 or len(pattern) > 120:
        raise ValidationError("The provider is limited to 60 characters, the pattern to 120.")
    try:
        units = int(str(per).strip())
    except ValueError:
        raise ValidationError(f"'per' must be a whole number of units, not {per!r}.") from None
    if units <= 0:
        raise ValidationError("'per' must be at least 1 unit.")
    start = effective_from or utcnow()
    if start.tzinfo is None:
        start = start.replace(tzinfo=timezone.utc)
    if effective_until is not None and effective_until.tzinfo is None:
        effective_until = effective_until.replace(tzinfo=timezone.utc)
    if effective_until is not None and effective_until <= start:
        raise ValidationError("The price must end after it starts.")
    return NewPrice(price_kind, provider, pattern, read_amount(usd, "The price"), units, start,
                    effective_until)


def set_price(session: Session, actor: Actor, new: NewPrice, source: str = "") -> PriceRow:
    """Add a price from ``new.effective_from``. Admins only. The row of the same kind,
    provider and pattern that is open-ended and started before is closed at that date; any
    other overlap is refused. Recorded costs are not touched (see ``preview`` / ``reprice``)."""
    require_admin(actor)
    key = _key(new.kind, new.provider, new.model_pattern)
    end = new.effective_until
    overlapping = list(session.scalars(select(Price).where(
        key, or_(Price.effective_until.is_(None), Price.effective_until > new.effective_from),
        *([Price.effective_from < end] if end is not None else [])).with_for_update()))
    to_close = [p for p in overlapping
                if p.effective_until is None and p.effective_from < new.effective_from
                and end is None]
    clashes = [p for p in overlapping if p not in to_close]
    if clashes:
        spans = "; ".join(f"{_day(p.effective_from)} → "
                          f"{_day(p.effective_until) if p.effective_until else 'open'}"
                          for p in clashes)
        raise ValidationError(f"This price overlaps the effective dates of another price of "
                              f"{new.kind.value} {new.provider} {new.model_pattern} ({spans}). "
                              "Pick a start after them, or an end before them.")
    for p in to_close:
        p.effective_until = new.effective_from
    row = Price(kind=new.kind.value, provider=new.provider, model_pattern=new.model_pattern,
                usd=new.usd, per=new.per, effective_from=new.effective_from,
                effective_until=end, source=source or f"set by {actor.email}",
                created_by=actor.id)
    session.add(row)
    session.flush()
    audit.record(session, actor, "prices.set", "prices", row.id, new={
        "kind": new.kind.value, "provider": new.provider, "model_pattern": new.model_pattern,
        "usd": str(new.usd), "per": new.per, "from": new.effective_from.isoformat(),
        "until": end.isoformat() if end else None,
        "closed": [str(p.id) for p in to_close]})
    return _row(row)


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M")


# --- What the past would cost --------------------------------------------------------------------

@dataclass(frozen=True)
class Preview:
    rows: int
    quantity: Decimal
    recorded_usd: Decimal  # of the rows that had a price
    unpriced_rows: int
    new_usd: Decimal

    @property
    def difference(self) -> Decimal:
        return self.new_usd - self.recorded_usd


def _period_rows(kind: PriceKind, provider: str, pattern: str, since: datetime,
                 until: datetime) -> Any:
    query = select(CostEvent.id, CostEvent.quantity, CostEvent.cost_usd, CostEvent.provider,
                   CostEvent.model, CostEvent.occurred_at).where(
        CostEvent.kind == kind.value, CostEvent.occurred_at >= since, CostEvent.occurred_at < until)
    if provider:
        query = query.where(CostEvent.provider == provider)
    return query


def _matches(pattern: str, model: str | None) -> bool:
    return pattern == CATCH_ALL or fnmatch.fnmatchcase((model or "").lower(), pattern.lower())


def preview(session: Session, actor: Actor, new: NewPrice, since: datetime,
            until: datetime) -> Preview:
    """What the ledger rows this price would cover in [since, until) cost as recorded, and
    what they would cost at ``new``: every user's rows, so admins only. Reads only."""
    require_admin(actor)
    if until <= since:
        raise ValidationError("The period to preview must end after it starts.")
    rows = [r for r in session.execute(_period_rows(new.kind, new.provider, new.model_pattern,
                                                    since, until))
            if _matches(new.model_pattern, r.model)]
    quantity = sum((Decimal(r.quantity) for r in rows), Decimal(0))
    recorded = sum((Decimal(r.cost_usd) for r in rows if r.cost_usd is not None), Decimal(0))
    at_new = sum(((Decimal(r.quantity) * new.usd / new.per).quantize(USD_PLACES) for r in rows),
                 Decimal(0))
    return Preview(len(rows), quantity, recorded, sum(r.cost_usd is None for r in rows), at_new)


def reprice(session: Session, actor: Actor, kind: Any, since: datetime, until: datetime, *,
            provider: str = "") -> int:
    """Rewrite the recorded cost of every ledger row of ``kind`` (and ``provider``) in
    [since, until) with the price that is in force at each row's time *now* (after edits).
    Admins only; recorded in the audit log with the totals before and after; the daily
    summaries follow. Returns how many rows changed."""
    from core.ledger.rollups import rebuild_days

    require_admin(actor)
    price_kind = PriceKind(kind)
    if until <= since:
        raise ValidationError("The period to re-price must end after it starts.")
    rows = list(session.execute(_period_rows(price_kind, provider, CATCH_ALL, since, until)))
    price_rows = [_row(p) for p in session.scalars(select(Price).where(
        Price.kind == price_kind.value, Price.effective_from < until,
        or_(Price.effective_until.is_(None), Price.effective_until > since)))]
    changed, before, after = [], Decimal(0), Decimal(0)
    for r in rows:
        live = [p for p in price_rows if p.effective_from <= r.occurred_at
                and (p.effective_until is None or p.effective_until > r.occurred_at)]
        price, status = match(live, price_kind.value, r.provider, r.model)
        cost = price.cost(Decimal(r.quantity)) if price else None
        if cost != (None if r.cost_usd is None else Decimal(r.cost_usd)):
            changed.append({"row_id": r.id, "cost": cost, "status": status.value,
                            "price": price.id if price else None})
            before += Decimal(r.cost_usd or 0)
            after += cost or Decimal(0)
    if changed:
        table = cast(Table, CostEvent.__table__)
        session.execute(update(table).where(table.c.id == bindparam("row_id")).values(
            cost_usd=bindparam("cost"), price_status=bindparam("status"),
            price_id=bindparam("price")), changed)
        rebuild_days(session, since, until)
    audit.record(session, actor, "prices.reprice", "cost_events", None, new={
        "kind": price_kind.value, "provider": provider, "since": since.isoformat(),
        "until": until.isoformat(), "rows": len(changed), "usd_before": str(before),
        "usd_after": str(after)})
    return len(changed)


# --- The starting table --------------------------------------------------------------------------

def starting_prices() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The shipped table: its header (``as_of``, ``source``) and its rows as column dicts."""
    data = json.loads(STARTING_PRICES.read_text(encoding="utf-8"))
    start = datetime.fromisoformat(data["effective_from"])
    rows = [{"kind": PriceKind(kind).value, "provider": provider, "model_pattern": pattern,
             "usd": Decimal(usd), "per": int(per), "effective_from": start,
             "source": f"starting table of {data['as_of']}"}
            for kind, provider, pattern, usd, per in data["prices"]]
    return {"as_of": data["as_of"], "source": data["source"]}, rows


def sync_open_prices(session: Session, actor: Actor, kinds: Iterable[PriceKind],
                     wanted: dict[tuple[PriceKind, str, str], tuple[Decimal, int]],
                     *, close_missing: Iterable[PriceKind] = ()) -> int:
    """Make the prices in force from now for ``kinds`` equal ``wanted`` ((kind, provider,
    pattern) → (usd, per)): a changed or new one starts now (closing the one before), and one
    no longer wanted of a kind in ``close_missing`` ends now. History is kept. Returns how many
    prices started or ended. (The Model provider page's price table edits through this.)"""
    require_admin(actor)
    now = utcnow()
    kinds = [PriceKind(k) for k in kinds]
    current = {(PriceKind(p.kind), p.provider, p.model_pattern): p for p in session.scalars(
        select(Price).where(Price.kind.in_([k.value for k in kinds]), _in_force(now)))}
    changes = 0
    for key, (usd, per) in wanted.items():
        found = current.pop(key, None)
        if found is not None and Decimal(found.usd) / found.per == usd / per:
            continue
        set_price(session, actor, NewPrice(key[0], key[1], key[2], usd, per, now))
        changes += 1
    closing = {PriceKind(k) for k in close_missing}
    for key, row in current.items():
        if key[0] in closing:
            row.effective_until = now
            audit.record(session, actor, "prices.end", "prices", row.id,
                         new={"until": now.isoformat()})
            changes += 1
    return changes


def quote(session: Session, charges: Iterable[Any], at: datetime) -> list[Decimal | None]:
    """What each charge costs (or costs already) at the prices in force ``at``; None: no price."""
    charges = list(charges)
    rows = prices_in_force(session, {str(c.kind) for c in charges}, at)
    found: list[Decimal | None] = []
    for c in charges:
        if c.cost_usd is not None:
            found.append(Decimal(c.cost_usd))
            continue
        price, _ = match(rows, str(c.kind), c.provider, c.model)
        found.append(price.cost(Decimal(str(c.quantity))) if price else None)
    return found


def seed_starting_prices(session: Session) -> int:
    """Add the starting table's rows whose kind, provider and pattern have no price at all
    (the migration does this on a new database; this puts them back in an emptied one)."""
    _, rows = starting_prices()
    present = {(k, p, m.lower()) for k, p, m in session.execute(
        select(Price.kind, Price.provider, Price.model_pattern))}
    missing = [r for r in rows if (r["kind"], r["provider"], r["model_pattern"].lower())
               not in present]
    session.add_all(Price(**r) for r in missing)
    session.flush()
    return len(missing)
