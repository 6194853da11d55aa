"""The Costs page: totals, breakdowns, the forecast, a budget (and a refused one), and the
notifications with their count in the sidebar; the price table with its preview and re-pricing
(admins)."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from core import budgets, ledger
from core.ledger import Charge, CostKind, Owner, prices
from db.models import Run, ScrapingJob, User
from tests.pages.conftest import by_label, texts

ADMIN = "admin@example.com"


def spend(db) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        user_id = session.scalar(select(User.id).where(User.email == ADMIN))
        ledger.record(session, Owner(user_id), [Charge(CostKind.BROWSER_SECONDS, 36_000)])
        ledger.record(session, Owner(user_id), ledger.model_charges("Local", "llama", 5, 1))


def test_the_costs_page_shows_totals_breakdowns_and_the_forecast(app, db) -> None:
    at = app(ADMIN)
    spend(db)
    at = at.switch_page("pages/costs.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Spent"] == "$1.0000"  # 10 hours of browser time at $0.10 an hour
    assert metrics["Month to date"] == "$1.0000"
    assert any("2 ledger rows have no price" in w for w in texts(at, "warning"))


def test_fractions_of_a_cent_are_never_shown_as_free(app, db) -> None:
    at = app(ADMIN)
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        user_id = session.scalar(select(User.id).where(User.email == ADMIN))
        ledger.record(session, Owner(user_id), [Charge(CostKind.BROWSER_SECONDS, 0.09)])
    at = at.switch_page("pages/costs.py").run()
    metrics = {m.label: m for m in at.metric}
    assert metrics["Spent"].value == "< $0.0001"  # 0.09 s at $0.10 an hour: $0.0000025
    assert "Exactly $0.00000250." in metrics["Spent"].help.replace("\\", "")  # Markdown-escaped
    assert metrics["Month to date"].value == "$0.00000250"
    assert metrics["Forecast to month end"].value != "$0.0000"


def test_a_budget_is_saved_or_refused_with_a_message_and_alerts_show_in_the_sidebar(
        app, db) -> None:
    at = app(ADMIN)
    spend(db)
    at = at.switch_page("pages/costs.py").run()
    by_label(at.text_input, "Daily (USD, empty: no limit)").input("-3")
    at = by_label(at.button, "Save budget").click().run()
    assert any("zero or more" in e for e in texts(at, "error"))
    by_label(at.text_input, "Daily (USD, empty: no limit)").input("1.5")
    at = by_label(at.button, "Save budget").click().run()
    assert "Budget saved." in texts(at, "success")
    with db.transaction() as session:
        user_id = session.scalar(select(User.id).where(User.email == ADMIN))
        budgets.after_charge(session, user_id)  # $1 of $1.50: the 50 % alert
    at = at.run()
    assert [m for m in texts(at, "markdown") if "Daily budget: 50 % reached" in m][0].startswith(
        "**New** · ")
    at = by_label(at.button, "Mark all read").click().run()
    assert [m for m in texts(at, "markdown") if "Daily budget: 50 % reached" in m][0].startswith(
        "20")  # kept, no longer new


def test_an_admin_defines_a_plan_grants_credits_and_sees_the_plan_section(app, db) -> None:
    at = app(ADMIN).switch_page("pages/costs.py").run()
    assert not at.exception
    assert any("You are on no plan" in c for c in texts(at, "caption"))
    by_label(at.text_input, "Slug").input("team")
    by_label(at.text_input, "Runs a month").input("0")
    by_label(at.text_input, "Runs at once").input("2")
    at = by_label(at.button, "Save plan").click().run()
    assert any("Runs a month must be from 1" in e for e in texts(at, "error"))
    by_label(at.text_input, "Runs a month").input("100")
    at = by_label(at.button, "Save plan").click().run()
    assert "Plan saved." in texts(at, "success")  # kept over the rerun that shows the plan
    by_label(at.selectbox, "Plan").select("team")
    at = by_label(at.button, "Assign").click().run()
    by_label(at.text_input, "Credits (empty: the package's)").input("-4")
    at = by_label(at.button, "Grant").click().run()
    assert any("more than zero" in e for e in texts(at, "error"))
    by_label(at.text_input, "Credits (empty: the package's)").input("40")
    at = by_label(at.button, "Grant").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Runs this month"] == "0 of 100"
    assert metrics["Credit balance"] == "40.00" and metrics["Available now"] == "40.00"


def test_the_waste_view_and_cost_per_valid_item(app, db, make_user) -> None:
    at = app(ADMIN)
    with db.transaction() as session:
        prices.seed_starting_prices(session)
        user_id = session.scalar(select(User.id).where(User.email == ADMIN))
        job = ScrapingJob(user_id=user_id, name="j", target_url="https://a.example/",
                          target_urls=["https://a.example/"], pagination_type="none",
                          pagination={}, config_package={"version": 1, "fields": {}})
        session.add(job)
        session.flush()
        for status, found, stored in (("failed", 0, 0), ("completed", 10, 4)):
            run = Run(job_id=job.id, user_id=user_id, status=status, idempotency_key=status,
                      pages_fetched=2, items_found=found, items_extracted=stored,
                      urls_processed=2)
            session.add(run)
            session.flush()
            ledger.record(session, Owner(user_id, run_id=run.id, job_id=job.id),
                          [Charge(CostKind.REQUESTS, 2, Decimal("0.5"))])
    at = at.switch_page("pages/costs.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Per valid item"] == "$0.2500"  # $1.00 over 4 valid items
    assert metrics["Per item"] == "$0.1000"  # over 10 items found
    assert any("$0.5000 of the $1.0000 runs spent (50.0 %)" in c for c in texts(at, "caption"))


def test_an_admin_previews_a_new_price_saves_it_and_reprices_this_month(app, db,
                                                                       analyst) -> None:
    with db.transaction() as session:  # 10 hours of browser time this month, at $0.10 an hour
        prices.seed_starting_prices(session)
        ledger.record(session, Owner(analyst.id), [Charge(CostKind.BROWSER_SECONDS, 36_000)])
    at = app(ADMIN).switch_page("pages/costs.py").run()
    by_label(at.selectbox, "Kind").select("browser_seconds")
    by_label(at.text_input, "USD").input("-1")
    at = by_label(at.button, "Preview").click().run()
    assert any("zero or more" in e for e in texts(at, "error"))
    by_label(at.text_input, "USD").input("0.5")
    by_label(at.text_input, "Per units").input("3600")
    at = by_label(at.button, "Preview").click().run()
    shown = texts(at, "info")
    assert any("1 ledger rows of browser_seconds (36,000 units) cost $1.0000 as recorded; at "
               "$0.5 per 3,600 they would cost $5.0000 (+$4.0000)." in i for i in shown), shown
    assert "Nothing was changed." in texts(at, "caption")
    with db.transaction() as session:
        assert ledger.cost_of(session, ledger.Scope(user_id=analyst.id)) == 1
    by_label(at.date_input, "In force from").set_value(date.today().replace(day=1))
    at = by_label(at.button, "Save price").click().run()
    assert any(s.startswith("Price saved, in force from") for s in texts(at, "success"))
    with db.transaction() as session:  # history stays as it was recorded
        assert ledger.cost_of(session, ledger.Scope(user_id=analyst.id)) == 1
    by_label(at.selectbox, "Kind to re-price").select("browser_seconds")
    at = by_label(at.button, "Re-price this period").click().run()
    assert "Re-priced 1 ledger rows of browser_seconds." in texts(at, "success")
    with db.transaction() as session:
        assert ledger.cost_of(session, ledger.Scope(user_id=analyst.id)) == 5


def test_analysts_see_no_price_editor(app, analyst) -> None:
    at = app(analyst.email).switch_page("pages/costs.py").run()
    assert not at.exception
    assert not [e for e in at.expander if "Prices (admins)" in e.label]
