"""Prices with history and daily summaries (``core.ledger.prices``, ``core.ledger.rollups``), by
example: how a charge is priced when recorded, a price change from a date, the preview of what
the past would cost, an explicit re-pricing, and the roll-ups the Costs page reads."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import select

from core import ledger
from core.ledger import By, Charge, CostKind, Owner, PriceKind, PriceStatus
from core.ledger import prices
from core.platform import audit
from core.platform.errors import PermissionDenied, ValidationError
from db.models import CostEvent


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


@pytest.fixture
def priced(db) -> None:
    with db.transaction() as session:
        prices.seed_starting_prices(session)


def rows(db):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return session.execute(select(CostEvent.kind, CostEvent.model, CostEvent.cost_usd,
                                      CostEvent.price_status).order_by(CostEvent.occurred_at,
                                                                       CostEvent.kind)).all()


def test_each_row_says_whether_its_price_was_exact_a_default_or_missing(db, priced,
                                                                        analyst) -> None:
    with db.transaction() as session:
        ledger.record(session, Owner(analyst.id), ledger.model_charges(
            "OpenAI", "gpt-4o-mini-2024-07-18", 1_000_000, 0, cache_read_tokens=2_000_000))
        ledger.record(session, Owner(analyst.id), ledger.model_charges(
            "Local", "my-llama", 500, 50))
        ledger.record(session, Owner(analyst.id), ledger.fetch_charges(
            requests=10, browser_seconds=36))
    found = {(kind, model): (cost, status) for kind, model, cost, status in rows(db)}
    assert found[("llm_input_tokens", "gpt-4o-mini-2024-07-18")] == (Decimal("0.15"), "exact")
    assert found[("llm_cache_read_tokens", "gpt-4o-mini-2024-07-18")] == (Decimal("0.15"),
                                                                          "exact")
    # an unknown model is unpriced — NULL, "missing" — never $0
    assert found[("llm_input_tokens", "my-llama")] == (None, "missing")
    assert found[("requests", None)] == (Decimal("0.000004"), "default")  # $0.40 per million
    assert found[("browser_seconds", None)] == (Decimal("0.001"), "default")  # $0.10 per hour


def test_a_new_price_applies_from_its_date_and_the_past_keeps_its_cost(db, priced, admin,
                                                                      analyst) -> None:
    owner = Owner(analyst.id)
    with db.transaction() as session:
        ledger.record(session, owner, [Charge(CostKind.REQUESTS, 1_000_000)],
                      at=at("2026-11-10T10:00:00"))
        prices.set_price(session, admin, prices.read_new_price(
            "requests", "2.00", per=1_000_000, effective_from=at("2026-11-15T00:00:00")))
        ledger.record(session, owner, [Charge(CostKind.REQUESTS, 1_000_000)],
                      at=at("2026-11-20T10:00:00"))
    assert [cost for _, _, cost, _ in rows(db)] == [Decimal("0.40"), Decimal("2.00")]
    with db.transaction() as session:
        history = [p for p in prices.list_prices(session) if p.kind is PriceKind.REQUESTS]
    assert [(p.usd, p.effective_until) for p in history] == [
        (Decimal("0.40"), at("2026-11-15T00:00:00")), (Decimal("2.00"), None)]


@pytest.mark.parametrize("change, message", [
    ({"usd": "-1"}, "zero or more"),
    ({"usd": "cheap"}, "must be a number"),
    ({"usd": "1", "effective_from": at("2026-11-01"), "effective_until": at("2026-10-01")},
     "end after it starts"),
    ({"usd": "1", "kind": "pages"}, "Unknown kind"),
])
def test_bad_prices_are_refused_with_a_message(change, message) -> None:
    arguments = {"kind": "requests", "per": 1_000_000} | change
    with pytest.raises(ValidationError, match=message):
        prices.read_new_price(arguments.pop("kind"), arguments.pop("usd"), **arguments)


def test_overlapping_effective_dates_are_refused_and_nothing_is_written(db, priced,
                                                                       admin) -> None:
    with db.transaction() as session:  # from 2030 on, renders cost a cent (closes the default)
        prices.set_price(session, admin, prices.read_new_price(
            "renders", "0.01", effective_from=at("2030-01-01")))
    for start, end in ((at("2029-12-15"), at("2030-02-01")), (at("2020-01-01"), None)):
        with pytest.raises(ValidationError, match="overlaps"), db.transaction() as session:
            prices.set_price(session, admin, prices.read_new_price(
                "renders", "0.02", effective_from=start, effective_until=end))
    with db.transaction() as session:
        renders = [(p.usd, p.effective_from, p.effective_until)
                   for p in prices.list_prices(session) if p.kind is PriceKind.RENDERS]
    assert renders == [(Decimal("0"), at("2000-01-01"), at("2030-01-01")),
                       (Decimal("0.01"), at("2030-01-01"), None)]


def test_only_admins_set_prices(db, priced, analyst) -> None:
    with pytest.raises(PermissionDenied), db.transaction() as session:
        prices.set_price(session, analyst, prices.read_new_price("requests", "1"))


def test_the_preview_changes_nothing_and_a_chosen_period_is_repriced_on_the_record(
        db, priced, admin, analyst) -> None:
    owner = Owner(analyst.id)
    with db.transaction() as session:
        for day in ("2026-11-01T12:00:00", "2026-11-02T12:00:00", "2026-11-03T12:00:00"):
            ledger.record(session, owner, [Charge(CostKind.BROWSER_SECONDS, 3600)], at=at(day))
    new = prices.read_new_price("browser_seconds", "0.50", per=3600,
                                effective_from=at("2000-01-01"))
    with db.transaction() as session:
        shown = prices.preview(session, admin, new, at("2026-11-01"), at("2026-11-03"))
    assert (shown.rows, shown.recorded_usd, shown.new_usd) == (2, Decimal("0.2"), Decimal("1.0"))
    assert [cost for *_, cost, _ in rows(db)] == [Decimal("0.1")] * 3  # nothing rewritten
    with db.transaction() as session:  # the admin changes the price from Nov 2 and re-prices
        prices.set_price(session, admin, prices.read_new_price(
            "browser_seconds", "0.50", per=3600, effective_from=at("2026-11-02")))
        assert [cost for *_, cost, _ in rows(db)] == [Decimal("0.1")] * 3
        assert prices.reprice(session, admin, "browser_seconds", at("2026-11-02"),
                              at("2026-11-03")) == 1
    assert [cost for *_, cost, _ in rows(db)] == [Decimal("0.1"), Decimal("0.5"), Decimal("0.1")]
    with db.transaction() as session:
        entry = audit.list_entries(session, admin).iloc[0]
        by_day = ledger.summed(session, date(2026, 11, 1), date(2026, 11, 4),
                               user_id=analyst.id, by=By.DAY)
    assert entry.action == "prices.reprice" and entry.new_values["rows"] == 1
    assert [(s.group, s.cost_usd) for s in by_day] == [
        ("2026-11-01", Decimal("0.1")), ("2026-11-02", Decimal("0.5")),
        ("2026-11-03", Decimal("0.1"))]


def test_daily_summaries_follow_the_ledger_and_roll_up_by_week_month_job_and_model(
        db, priced, analyst, make_user) -> None:
    other = make_user()
    job = None
    with db.transaction() as session:
        for day, requests in (("2026-11-29T23:59:00", 1_000_000), ("2026-11-30T00:01:00", 2),
                              ("2026-12-01T08:00:00", 3), ("2026-12-01T09:00:00", 4)):
            ledger.record(session, Owner(analyst.id, job_id=job), [
                Charge(CostKind.REQUESTS, requests)], at=at(day))
        ledger.record(session, Owner(analyst.id), ledger.model_charges(
            "OpenAI", "gpt-4o", 1_000_000, 1_000_000), at=at("2026-12-02T10:00:00"))
        ledger.record(session, Owner(other.id), [Charge(CostKind.REQUESTS, 99)],
                      at=at("2026-12-02T10:00:00"))
    since, until = date(2026, 11, 1), date(2027, 1, 1)
    with db.transaction() as session:
        def summary(by: By) -> list[tuple[str, str, Decimal]]:
            return [(s.group, s.kind.value, s.quantity) for s in ledger.summed(
                session, since, until, user_id=analyst.id, by=by)]
        assert summary(By.DAY)[:3] == [("2026-11-29", "requests", 1_000_000),
                                       ("2026-11-30", "requests", 2),
                                       ("2026-12-01", "requests", 7)]
        assert summary(By.WEEK)[:2] == [("2026-11-23", "requests", 1_000_000),  # ISO weeks
                                        ("2026-11-30", "llm_input_tokens", 1_000_000)]
        assert summary(By.MONTH) == [
            ("2026-11", "requests", 1_000_002), ("2026-12", "llm_input_tokens", 1_000_000),
            ("2026-12", "llm_output_tokens", 1_000_000), ("2026-12", "requests", 7)]
        assert [(s.group, s.cost_usd) for s in ledger.summed(
            session, since, until, user_id=analyst.id, by=By.MODEL) if s.group] == [
            ("OpenAI/gpt-4o", Decimal("2.5")), ("OpenAI/gpt-4o", Decimal("10"))]
        assert ledger.spent(session, analyst.id, date(2026, 12, 1), date(2027, 1, 1)) == \
            Decimal("12.5000028")  # 7 requests at $0.40 per million + the model call
        everyone = ledger.summed(session, since, until, by=By.USER)
    assert {s.group for s in everyone} == {str(analyst.id), str(other.id)}
