"""The cost ledger (``core.ledger``) by example: recording charges, adding them up by kind and
by group, what runs, builds' sample pages, SEO crawls and audits cost, and a run's credits."""

from __future__ import annotations

import uuid
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from core import ledger, timeline
from core.ledger import Charge, CostKind, Grouping, Owner, Scope
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.seo import crawls, reports
from core.platform.settings import get_settings
from core.worker import execute_one
from db.models import CostEvent
from db.types import utcnow


@pytest.fixture(autouse=True)
def queue_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # tests execute what they start
    get_settings.cache_clear()


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc)


def test_charges_add_up_per_kind_and_an_unpriced_model_is_not_free(db, analyst) -> None:
    owner = Owner(analyst.id)
    with db.transaction() as session:
        ledger.record(session, owner, ledger.fetch_charges(requests=3, bytes_fetched=12_000))
        ledger.record(session, owner, ledger.model_charges(
            "OpenAI", "gpt-4o-mini", 1_000, 200, (Decimal("0.00015"), Decimal("0.00012"))))
        ledger.record(session, owner, ledger.model_charges("Local", "llama3", 500, 50, None))
    with db.transaction() as session:
        found = {t.kind: t for t in ledger.totals(session, Scope(user_id=analyst.id))}
    assert (found[CostKind.REQUESTS].quantity, found[CostKind.BYTES_FETCHED].quantity) == (
        3, 12_000)
    tokens_in = found[CostKind.LLM_INPUT_TOKENS]
    assert (tokens_in.quantity, tokens_in.cost_usd, tokens_in.unpriced) == (
        1_500, Decimal("0.00015"), 1)
    assert not tokens_in.priced  # some of these tokens have no price: the sum is a floor


def test_totals_by_day_month_and_model_over_a_period(db, analyst) -> None:
    owner = Owner(analyst.id)
    with db.transaction() as session:
        ledger.prices.seed_starting_prices(session)
        for day, requests in (("2026-11-30T23:30:00", 1), ("2026-12-01T00:10:00", 2),
                              ("2026-12-01T12:00:00", 4)):
            ledger.record(session, owner, [Charge(CostKind.REQUESTS, requests)], at=at(day))
        ledger.record(session, owner, ledger.model_charges(
            "OpenAI", "gpt-4o", 10, 1, (Decimal("0.1"), Decimal("0.2"))),
            at=at("2026-12-02T08:00:00"))
    requests_only = Scope(user_id=analyst.id, kinds=(CostKind.REQUESTS,))
    with db.transaction() as session:
        by_day = ledger.totals(session, requests_only, by=Grouping.DAY)
        by_month = ledger.totals(session, requests_only, by=Grouping.MONTH)
        december = ledger.totals(session, Scope(user_id=analyst.id, since=at("2026-12-01"),
                                                until=at("2027-01-01")), by=Grouping.MODEL)
    assert [(t.group, t.quantity) for t in by_day] == [("2026-11-30", 1), ("2026-12-01", 6)]
    assert [(t.group, t.quantity) for t in by_month] == [("2026-11", 1), ("2026-12", 6)]
    assert [(t.group, t.kind.value, t.cost_usd) for t in december] == [
        ("/", "requests", Decimal("0.0000024")),  # 6 × the default $0.40 per million
        ("OpenAI/gpt-4o", "llm_input_tokens", Decimal("0.1")),
        ("OpenAI/gpt-4o", "llm_output_tokens", Decimal("0.2"))]


def test_the_database_refuses_a_kind_the_ledger_does_not_know(db, analyst) -> None:
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(insert(CostEvent.__table__).values(
            id=uuid.uuid4(), user_id=analyst.id, kind="pages", quantity=1, unit="requests",
            occurred_at=utcnow()))


@pytest.mark.usefixtures("local_fetching")
def test_a_run_is_billed_per_request_and_charged_credits_by_the_rule(db, analyst,
                                                                     make_job) -> None:
    job_id = make_job(analyst)
    with db.transaction() as session:
        run = runs.start_run(session, analyst, job_id)
        assert claim(session, run.id, "pytest")
    assert execute_run(db, run.id) == "completed"
    with db.transaction() as session:
        spent = ledger.quantities(session, Scope(run_id=run.id))
        by_job = ledger.totals(session, Scope(user_id=analyst.id), by=Grouping.JOB)
        credits = runs.get_run(session, analyst, run.id).credits_charged
    assert spent[CostKind.REQUESTS] == 3 and spent[CostKind.BYTES_FETCHED] > 3_000
    assert CostKind.RENDERS not in spent
    assert {t.group for t in by_job} == {str(job_id)}
    # 1 credit per request, 4 per render, 1 per 1,000 tokens: three plain pages, 3 credits.
    assert credits == ledger.credits_for(spent) == Decimal(3)


def test_the_credit_rule_counts_renders_and_tokens() -> None:
    assert ledger.credits_for({CostKind.REQUESTS: Decimal(10), CostKind.RENDERS: Decimal(2),
                               CostKind.LLM_INPUT_TOKENS: Decimal(1_500),
                               CostKind.LLM_OUTPUT_TOKENS: Decimal(250),
                               CostKind.BYTES_FETCHED: Decimal(10**6)}) == Decimal("19.75")


@pytest.mark.usefixtures("local_fetching")
def test_an_seo_audit_and_a_crawl_are_billed_and_on_the_timeline(app_env, db, analyst,
                                                                 site) -> None:
    with db.transaction() as session:
        report = reports.request_audit(session, analyst, f"{site}/catalog/page1.html",
                                       spawn=False)
        crawl = crawls.start_crawl(session, analyst, f"{site}/catalog/page1.html", 3, {})
    assert execute_one(db, "seo-audit", report.id) == 0  # exit status
    assert execute_one(db, "seo-crawl", crawl.id) == 0  # exit status
    with db.transaction() as session:
        audit_spent = ledger.quantities(session, Scope(report_id=report.id))
        crawl_spent = ledger.quantities(session, Scope(crawl_id=crawl.id))
        audit_nodes = {s.node.id: s.state.value for s in timeline.node_states(
            session, timeline.WorkflowRef.audit(report.id))}
        crawl_events = timeline.events(session, timeline.WorkflowRef.crawl(crawl.id),
                                       newest_first=False)
    assert audit_spent[CostKind.REQUESTS] >= 1 and audit_spent[CostKind.BYTES_FETCHED] > 1_000
    assert crawl_spent[CostKind.REQUESTS] == 3
    assert set(audit_nodes.values()) == {"completed"}
    # each page fetched (the catalog's item links answer 404), then the crawl's later steps
    assert [(type(e).__name__, getattr(e, "node", None)) for e in crawl_events] == [
        ("StateTransition", None), ("Handoff", None), ("PageFetched", "fetch"),
        ("Failure", "fetch"), ("Failure", "fetch"), ("StepResult", "check"),
        ("StepResult", "findings"), ("StepResult", "store"), ("Completion", None)]
