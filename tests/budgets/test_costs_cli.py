"""``python -m core costs …`` by example: a summary (text and JSON), a budget, prices."""

from __future__ import annotations

import json
from decimal import Decimal
from datetime import datetime, timezone

from sqlalchemy import select

from core import ledger
from core.ledger import Charge, CostKind, Owner, prices
from db.models import User


def test_costs_summary_budget_and_prices_from_the_command_line(cli, db) -> None:
    status, out, err = cli("--user", "admin@example.com", "costs", "prices", "set", "requests",
                           "2", "--per", "1000")
    assert status == 0, err
    status, out, _ = cli("--user", "admin@example.com", "costs", "prices", "list")
    assert any(line.startswith("requests") and "$2 per 1,000" in line for line in out.splitlines())
    with db.transaction() as session:
        admin_id = session.scalar(select(User.id).where(User.email == "admin@example.com"))
        ledger.record(session, Owner(admin_id), [Charge(CostKind.REQUESTS, 500)])
        ledger.record(session, Owner(admin_id), ledger.model_charges("Local", "llama", 10, 2))
    status, out, err = cli("--user", "admin@example.com", "costs", "summary", "--json")
    assert status == 0, err
    doc = json.loads(out)
    assert float(doc["total_usd"]) == 1.0  # 500 requests at $2 per 1,000
    assert doc["unpriced_rows"] == 2  # the unknown model's two rows: unpriced, not $0
    status, out, err = cli("--user", "admin@example.com", "costs", "budget", "set",
                           "--daily", "0.5")
    assert status == 2 and "below what this day has already spent" in err
    status, out, err = cli("--user", "admin@example.com", "costs", "budget", "set",
                           "--daily", "5", "--monthly", "-1")
    assert status == 2 and "zero or more" in err
    assert cli("--user", "admin@example.com", "costs", "budget", "set", "--monthly", "100")[0] == 0
    status, out, _ = cli("--user", "admin@example.com", "costs", "summary", "--by", "model")
    assert "Local/llama" in out and "unpriced" in out and "Month to date $1.0000" in out


def test_an_admin_previews_a_price_sets_it_and_reprices_a_chosen_period(cli, db) -> None:
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        admin_id = session.scalar(select(User.id).where(User.email == "admin@example.com"))
        ledger.record(session, Owner(admin_id), [Charge(CostKind.REQUESTS, 500)],
                      at=datetime(2026, 11, 10, 12, tzinfo=timezone.utc))
    assert cli("--user", "admin@example.com", "users", "create", "ann@example.com", "--role",
               "analyst")[0] == 0

    before = cli("--user", "admin@example.com", "costs", "prices", "preview", "requests", "2",
                 "--per", "1000", "--since", "2026-11-01", "--until", "2026-12-01")
    assert before[0] == 0, before[2]
    assert ("Preview, 2026-11-01 00:00 to 2026-12-01 00:00 UTC: 1 ledger rows of requests "
            "(500 units) cost $0.000200 as recorded; at $2 per 1,000 they would cost $1.0000 "
            "(+$0.9998).") in before[1]  # recorded at the starting $0.40 per million requests
    assert "Nothing was changed." in before[1]
    status, _, err = cli("--user", "ann@example.com", "costs", "prices", "preview", "requests",
                         "2")
    assert status == 2 and "Only admins" in err  # every user's rows: not for analysts
    status, out, err = cli("--user", "admin@example.com", "costs", "prices", "set", "requests",
                           "2", "--per", "1000", "--from", "2026-11-01")
    assert status == 0, err
    assert "(recorded costs unchanged)" in out and "costs prices reprice requests" in out
    with db.transaction() as session:
        recorded = ledger.cost_of(session, ledger.Scope(user_id=admin_id))
    assert recorded == Decimal("0.0002")  # setting a price never rewrites history
    status, out, err = cli("--user", "admin@example.com", "costs", "prices", "reprice",
                           "requests", "--since", "2026-11-01", "--until", "2026-12-01")
    assert status == 0, err
    assert out.startswith("Re-priced 1 ledger rows of requests from 2026-11-01 00:00")
    with db.transaction() as session:
        assert ledger.cost_of(session, ledger.Scope(user_id=admin_id)) == 1
    status, _, err = cli("--user", "admin@example.com", "costs", "prices", "reprice", "requests",
                         "--since", "2026-12-01", "--until", "2026-11-01")
    assert status == 2 and "must end after it starts" in err
