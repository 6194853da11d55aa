"""What one run, build or crawl cost (``core.costs.work_cost``) and the waste among a period's
runs (``core.costs.waste``): failed and canceled runs, runs that found nothing, retried
requests and pages that yielded no item."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from core import costs, ledger
from core.ledger import Charge, CostKind, Owner
from core.platform.errors import NotFound, PermissionDenied
from db.models import Run, RunResult, ScrapingJob


def a_run(session, user, status, found, urls, requests, usd, empty_pages=0):  # type: ignore[no-untyped-def]
    job = ScrapingJob(user_id=user.id, name=f"j-{uuid.uuid4().hex[:4]}",
                      target_url="https://a.example/", target_urls=["https://a.example/"],
                      pagination_type="none", pagination={},
                      config_package={"version": 1, "fields": {}})
    session.add(job)
    session.flush()
    run = Run(job_id=job.id, user_id=user.id, status=status, idempotency_key=str(uuid.uuid4()),
              items_found=found, items_extracted=found, urls_processed=urls, pages_fetched=urls)
    session.add(run)
    session.flush()
    for i in range(urls):
        session.add(RunResult(run_id=run.id, target_url=f"https://a.example/{i}", success=True,
                              data={"items": 0 if i < empty_pages else 3}))
    ledger.record(session, Owner(user.id, run_id=run.id, job_id=job.id),
                  [Charge(CostKind.REQUESTS, requests, Decimal(usd))])
    return run.id


def test_waste_is_told_apart_part_by_part(db, analyst, admin) -> None:
    with db.transaction() as session:
        a_run(session, analyst, "failed", 0, 2, 4, "4")
        a_run(session, analyst, "canceled", 5, 2, 2, "2")
        a_run(session, analyst, "completed", 0, 3, 3, "3")  # found nothing: empty
        # 10 pages, 12 requests ($12): 2 retried ($2); 5 pages without items: 5/10 of $10
        a_run(session, analyst, "completed", 30, 10, 12, "12", empty_pages=5)
        a_run(session, admin, "failed", 0, 1, 1, "100")  # someone else's
    with db.transaction() as session:
        found = costs.waste(session, analyst)
        everyone = costs.waste(session, admin, everyone=True)
        with pytest.raises(PermissionDenied):
            costs.waste(session, analyst, everyone=True)
    parts = {line.group: (line.quantity, line.cost_usd) for line in found.lines}
    assert parts == {"failed": (1, 4), "canceled": (1, 2), "empty": (1, 3),
                     "retries": (2, 2), "empty_pages": (5, 5)}
    assert found.runs_usd == 21 and found.total_usd == 16
    assert everyone.failed.cost_usd == 104


def test_what_one_run_cost_is_its_owners_to_see(db, analyst, make_user) -> None:
    with db.transaction() as session:
        run_id = a_run(session, analyst, "completed", 3, 1, 1, "0.25")
        session.get_one(Run, run_id).credits_charged = Decimal(1)
        ledger.record(session, Owner(analyst.id, run_id=run_id),
                      ledger.model_charges("Nowhere", "unknown-model", 10, 5))
    with db.transaction() as session:
        found = costs.work_cost(session, analyst, run_id=run_id)
        with pytest.raises(PermissionDenied):
            costs.work_cost(session, make_user(), run_id=run_id)
        with pytest.raises(NotFound):
            costs.work_cost(session, analyst, build_id=uuid.uuid4())
    assert found.total_usd == Decimal("0.25") and found.credits == 1
    assert found.unpriced == 2  # the unknown model's two rows: unpriced, not free
    assert {line.kind: line.quantity for line in found.lines}[CostKind.REQUESTS.value] == 1
