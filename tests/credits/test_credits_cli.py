"""``python -m core plans …`` and ``python -m core credits …`` by example, bad input included:
a message, exit status 2, nothing written."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from db.models import CreditGrant, SubscriptionTier, UserCredit

ADMIN = ("--user", "admin@example.com")


def test_plans_and_credits_from_the_command_line(cli, db, make_user) -> None:
    ann = make_user("analyst", email="ann@example.com")
    status, out, err = cli(*ADMIN, "plans", "set", "starter", "--name", "Starter", "--runs",
                           "200", "--concurrent", "5", "--max-minutes", "60", "--credits", "500")
    assert status == 0, err
    assert "Plan 'starter' saved: 200 runs a month, 5 at once" in out
    status, out, err = cli(*ADMIN, "plans", "assign", ann.email, "starter")
    assert status == 0 and "Plan: Starter (starter)" in out, err
    assert cli(*ADMIN, "credits", "package", "Top-up", "--credits", "1000")[0] == 0
    status, out, err = cli(*ADMIN, "credits", "grant", ann.email, "--package", "Top-up")
    assert status == 0, err
    assert "balance now 1,000.0000 credits" in out
    status, out, err = cli(*ADMIN, "credits", "grant", ann.email, "--credits", "25")
    assert "balance now 1,025.0000" in out
    status, out, err = cli("--user", ann.email, "credits", "show", "--json")
    doc = json.loads(out)
    assert doc["plan"]["slug"] == "starter" and doc["plan"]["credits_included"] == 500
    assert (doc["balance"], doc["available"], doc["runs_started"]) == \
        ("1025.0000", "1525.0000", 0)
    status, out, _ = cli(*ADMIN, "plans", "list")
    assert "starter" in out and "1 users" in out


def test_bad_input_exits_2_with_a_message_and_writes_nothing(cli, db, make_user) -> None:
    ann = make_user("analyst", email="ann@example.com")
    cases = [
        (("credits", "grant", "nobody@example.com", "--credits", "5"),
         "No active user 'nobody@example.com'"),
        (("credits", "grant", ann.email, "--credits", "-5"), "more than zero"),
        (("credits", "grant", ann.email, "--credits", "five"), "must be a number"),
        (("credits", "grant", ann.email, "--package", "Gold"), "No credit package 'Gold'"),
        (("plans", "set", "odd", "--runs", "0", "--concurrent", "1"),
         "Runs a month must be from 1"),
        (("plans", "set", "odd", "--runs", "10", "--concurrent", "x"),
         "Runs at once must be a whole number"),
        (("plans", "set", "odd plan!", "--runs", "10", "--concurrent", "1"), "slug"),
        (("plans", "assign", ann.email, "gold"), "No plan 'gold'"),
    ]
    for args, message in cases:
        status, out, err = cli(*ADMIN, *args)
        assert status == 2 and message in err, (args, status, out, err)
    status, _, err = cli("--user", ann.email, "credits", "grant", ann.email, "--credits", "5")
    assert status == 2 and "Only an admin can grant credits" in err
    with db.transaction() as session:
        for table in (SubscriptionTier, CreditGrant, UserCredit):
            assert session.scalar(select(func.count()).select_from(table)) == 0
