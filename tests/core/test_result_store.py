"""A run's store path, item by item: what ``RunExecution._store`` keeps and ``_flush`` writes
(``executemany`` on SQLite, ``COPY`` on PostgreSQL), read back as the Results page reads it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.scrape.extract import ExtractedRecord, content_hash
from core.scraping import runner, runs
from db.models import Result, Run


def execution(db, actor, job_id) -> runner.RunExecution:  # type: ignore[no-untyped-def]
    """A run of the job, claimed, its plan loaded: the crawl's side left out."""
    with db.transaction() as session:
        run = runs.start_run(session, actor, job_id)
        assert runner.claim(session, run.id, "pytest")
        return runner.RunExecution(db, runner.load_plan(session, session.get_one(Run, run.id)))


def record(**data: Any) -> ExtractedRecord:
    return ExtractedRecord(data=data, found={name: name in data for name in ("name", "price",
                                                                             "sku")})


def stored(db, run_id) -> list[tuple[dict[str, Any], str, str, float]]:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(Result.data, Result.source_url, Result.content_hash, Result.confidence_score)
            .where(Result.run_id == run_id).order_by(Result.id))]


def test_text_with_tabs_newlines_and_backslashes_is_stored_as_found(db, analyst,
                                                                     make_job) -> None:
    run = execution(db, analyst, make_job(analyst))
    tricky = {"name": 'Lamp\t"Aurora"\nline two \\ back\\slash \\t ünïcode ☆', "price": 12.5}
    plain = {"name": "Kettle", "price": 3, "sku": "SKU-7"}
    run._store(record(**tricky), "https://shop.example/list?q=a\tb\\c\nd")
    run._store(record(**plain), "https://shop.example/list")
    run._flush(*run._take())
    assert stored(db, run.plan.run_id) == [
        (tricky, "https://shop.example/list?q=a\tb\\c\nd", content_hash(tricky), round(2 / 3, 4)),
        (plain, "https://shop.example/list", content_hash(plain), 1.0)]


def test_an_item_an_earlier_flush_of_the_run_stored_is_not_stored_again(db, analyst,
                                                                         make_job) -> None:
    run = execution(db, analyst, make_job(analyst))
    lamp, kettle, drill = ({"name": name} for name in ("Lamp", "Kettle", "Drill"))
    for item in (lamp, kettle):
        run._store(record(**item), "https://shop.example/1")
    run._flush(*run._take())
    for item in (kettle, drill, drill):
        run._store(record(**item), "https://shop.example/2")
    run._flush(*run._take())
    assert run.items_stored == 3
    assert [data for data, *_ in stored(db, run.plan.run_id)] == [lamp, kettle, drill]
    with db.transaction() as session:
        summary = runs.get_run(session, analyst, run.plan.run_id)
    assert summary.items_extracted == 3 and summary.already_stored == ()


def test_a_rerun_stores_only_the_items_the_job_did_not_have(db, analyst, make_job) -> None:
    job = make_job(analyst)
    first = execution(db, analyst, job)
    for name in ("Lamp", "Kettle"):
        first._store(record(name=name), "https://shop.example/1")
    first._flush(*first._take())
    runner.finish(db, first.plan.run_id, runner.WorkStatus.COMPLETED)
    second = execution(db, analyst, job)
    for name in ("Kettle", "Drill"):
        second._store(record(name=name), "https://shop.example/1")
    second._flush(*second._take())
    assert [data for data, *_ in stored(db, second.plan.run_id)] == [{"name": "Drill"}]
    with db.transaction() as session:
        summary = runs.get_run(session, analyst, second.plan.run_id)
    assert [(earlier.id, earlier.items) for earlier in summary.already_stored] == [
        (first.plan.run_id, 1)]
