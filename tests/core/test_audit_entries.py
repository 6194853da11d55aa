"""The audit log reads as a person would write it: names instead of ids, changes field by field
(before → after, in full), and an entry for every run started, cancel, export, build, SEO crawl
and SEO audit, written by the services in the transaction of the action."""

from __future__ import annotations

import pytest

from core.builder import builds
from core.platform import audit
from core.platform.errors import Conflict
from core.platform.settings import get_settings
from core.scraping import exports, jobs, runs
from core.scraping.results import FieldFilter, ResultQuery
from core.seo import crawls, reports
from tests.core.test_results import add_run

PAGE = b"<html><head><title>Lamp</title></head><body><h1>Lamp</h1><p>19.99</p></body></html>"


@pytest.fixture(autouse=True)
def no_workers(monkeypatch, app_env):  # type: ignore[no-untyped-def]
    """Queued only: no worker process takes the work these tests start."""
    monkeypatch.setenv("EXECUTOR", "queue")
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def entries(db, admin, **flt):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return audit.list_entries(session, admin, audit.AuditFilter(**flt))


def test_changes_in_words() -> None:
    found = audit.changes({"role": "analyst", "name": "Ann", "tags": ["a"]},
                          {"role": "viewer", "name": "Ann", "tags": ["a", "b"], "on": True})
    assert [str(c) for c in found] == ['role: analyst → viewer', 'tags: ["a"] → ["a", "b"]',
                                       "on: yes"]
    long = "x" * 5000
    assert str(audit.changes(None, {"note": long})[0]) == f"note: {long}"  # never cut
    assert [str(c) for c in audit.changes({"gone": 1}, None)] == ["gone: 1 → (removed)"]


def test_runs_cancels_and_exports_are_audited_by_name(db, admin, make_user) -> None:
    ann = make_user("analyst", name="Ann Analyst")
    job_id, first = add_run(db, ann, [{"name": "lamp"}], job_name="Lamps")
    with db.transaction() as session:
        started = runs.start_run(session, ann, job_id, "key-1")
    with db.transaction() as session:  # the same key again: nothing new, no second entry
        runs.start_run(session, ann, job_id, "key-1")
    with db.transaction() as session:
        runs.cancel_run(session, admin, started.id)
    with pytest.raises(Conflict), db.transaction() as session:
        runs.cancel_run(session, admin, started.id)  # already canceled: refused, not audited
    query = ResultQuery(job_id=job_id, filters=(FieldFilter("name", "lamp"),))
    with db.transaction() as session:
        export = exports.request_export(session, ann, first, "csv", query=query)

    log = entries(db, admin)
    assert log.action.tolist() == ["export.create", "run.cancel", "run.start"]
    export_row, cancel, start = (log.iloc[n] for n in range(3))
    assert (start.who, start.who_name) == (ann.email, "Ann Analyst")
    assert start.record == f"run: Lamps · run of {started.created_at:%Y-%m-%d %H:%M:%S}"
    assert [str(c) for c in start.changes] == ["job: Lamps", "trigger: manual"]
    assert cancel.who == admin.email
    assert [str(c) for c in cancel.changes] == ["status: queued → canceled",
                                                "cancel_requested: yes"]
    assert export_row.record == "export: Lamps · CSV"
    assert export_row.entity_id == str(export.id)
    assert "query" in [c.field for c in export_row.changes]


def test_builds_crawls_and_audits_are_audited(db, admin, analyst) -> None:
    with db.transaction() as session:
        build = builds.create_build(session, analyst, builds.BuildInput(
            objective="Lamp names and prices", files=[("lamp.html", PAGE)]))
    with db.transaction() as session:
        crawl = crawls.start_crawl(session, analyst, "http://127.0.0.1:9/", 20, {})
    with db.transaction() as session:
        crawls.cancel_crawl(session, analyst, crawl.id)
    with db.transaction() as session:
        reports.request_audit(session, analyst, "https://shop.example/lamp", spawn=False)

    log = entries(db, admin)
    assert log.action.tolist() == ["seo_audit.request", "seo_crawl.cancel", "seo_crawl.start",
                                   "build.create"]
    assert log.record.tolist() == ["seo report: https://shop.example/lamp",
                                   "seo crawl: http://127.0.0.1:9/",
                                   "seo crawl: http://127.0.0.1:9/",
                                   "build: Lamp names and prices"]
    assert entries(db, admin, action="build.create").iloc[0].entity_id == str(build.id)
    assert entries(db, admin, entity_type="seo_crawl").shape[0] == 2


def test_a_job_is_named_even_after_it_was_deleted(db, admin, analyst) -> None:
    job_id, _ = add_run(db, analyst, [], job_name="Chairs")
    with db.transaction() as session:
        audit.record(session, analyst, "job.update", "scraping_job", job_id,
                     old={"name": "Chairs", "max_pages": 5},
                     new={"name": "Chairs", "max_pages": 9})
    assert entries(db, admin).iloc[0].record == "scraping job: Chairs"
    assert [str(c) for c in entries(db, admin).iloc[0].changes] == ["max_pages: 5 → 9"]
    with db.transaction() as session:
        jobs.delete_job(session, analyst, job_id)
    log = entries(db, admin)
    assert log.action.tolist() == ["job.delete", "job.update"]
    assert log.record.tolist() == ["scraping job: Chairs", "scraping job: Chairs"]


def test_a_refused_start_writes_no_entry(db, admin, analyst) -> None:
    job_id, _ = add_run(db, analyst, [])
    with db.transaction() as session:
        runs.start_run(session, analyst, job_id)
    with pytest.raises(Conflict), db.transaction() as session:
        runs.start_run(session, analyst, job_id)  # one run at a time
    assert entries(db, admin).action.tolist() == ["run.start"]
