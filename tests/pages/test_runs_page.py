"""The Runs page: live list, detail counters, cancel and re-run."""

import uuid

import pytest

from core.scraping import runs
from core.platform.settings import get_settings
from db.models import Run, RunResult, ScrapingJob
from tests.pages.conftest import by_label, runs_of_one_job, texts


@pytest.fixture
def queued_run(db, analyst, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")  # nothing executes: the page only shows intent
    get_settings.cache_clear()
    with db.transaction() as session:
        job = ScrapingJob(user_id=analyst.id, name="Lamps", target_url="https://shop.example/",
                          target_urls=["https://shop.example/"],
                          config_package={"version": 1, "fields": {"t": {"selector": "h1"}}})
        session.add(job)
        session.flush()
        return runs.start_run(session, analyst, job.id)


def open_page(app, who):  # type: ignore[no-untyped-def]
    return app(who.email).switch_page("pages/runs.py").run()


def test_no_runs_points_to_jobs(app, analyst) -> None:
    assert "No runs yet" in texts(open_page(app, analyst), "info")[0]


def test_a_run_shows_its_status_and_counters(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        run = session.get(Run, queued_run.id)
        run.status, run.pages_fetched, run.items_found, run.items_extracted = "running", 7, 70, 65
        run.progress_percent, run.urls_processed, run.urls_total = 35, 7, 20
    at = open_page(app, analyst)
    assert at.dataframe[0].value.status.tolist() == ["Running"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Pages fetched": "7", "Items found": "70", "Items stored": "65",
                       "Errors": "0"}
    assert by_label(at.button, "Cancel run")


def test_cancel_a_queued_run_from_the_page(app, analyst, queued_run) -> None:
    at = open_page(app, analyst)
    at = by_label(at.button, "Cancel run").click().run()
    assert "Cancel requested." in texts(at, "success")
    at = at.run()
    assert "Canceled" in at.dataframe[0].value.status.tolist()


def test_rerun_a_finished_run(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        session.get(Run, queued_run.id).status = "completed"
    at = by_label(open_page(app, analyst).button, "Re-run").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2


def test_another_analysts_runs_are_not_listed(app, make_user, queued_run) -> None:
    other = make_user("analyst")
    assert "No runs yet" in texts(open_page(app, other), "info")[0]


def test_a_rerun_that_stored_nothing_names_the_run_that_had_its_items(
        app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        first = session.get(Run, queued_run.id)
        first.status, first.items_found, first.items_extracted = "completed", 36, 36
        again = Run(job_id=first.job_id, user_id=analyst.id, status="completed",
                    idempotency_key="again", items_found=36, items_extracted=0,
                    meta={"already_stored_by": {str(first.id): 36}})
        session.add(again)
        started = f"{first.created_at:%Y-%m-%d %H:%M:%S}"
    at = open_page(app, analyst)
    assert f"36 found, all already stored by the run of {started}." in texts(at, "info")
    link = by_label(at.get("page_link"), f"Open the results of the run of {started}")
    assert link.proto.page == "results"
    assert link.proto.query_string == f"run={queued_run.id}"


def test_a_run_that_lost_pages_says_so_in_words(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        run = session.get(Run, queued_run.id)
        run.status, run.pages_fetched, run.errors_count = "completed_errors", 4, 6
        run.error_message = "6 of 10 pages could not be fetched; see the errors per URL."
    at = open_page(app, analyst)
    assert at.dataframe[0].value.status.tolist() == ["Completed with errors"]
    assert texts(at, "warning") == ["6 of 10 pages could not be fetched; see the errors per URL."]


def test_a_run_links_to_its_results(app, analyst, queued_run) -> None:
    link = by_label(open_page(app, analyst).get("page_link"), "Open its results")
    assert (link.proto.page, link.proto.query_string) == ("results", f"run={queued_run.id}")


def paged_run(db, analyst, run_id, status, processed, known, percent):  # type: ignore[no-untyped-def]
    """The job pages by a next button, at most 10 pages; the run knows ``known`` pages."""
    with db.transaction() as session:
        run = session.get(Run, run_id)
        job = session.get(ScrapingJob, run.job_id)
        job.pagination_type, job.pagination = "next_button", {"selector": "a.next"}
        job.options = {"max_pages": 10}
        run.status, run.urls_processed, run.urls_total = status, processed, known
        run.progress_percent, run.pages_fetched = percent, processed
        run.started_at = run.created_at


def bar(at):  # type: ignore[no-untyped-def]
    [progress] = at.get("progress")
    return progress.proto.value, texts_of(progress.proto.text)


def texts_of(markdown: str) -> str:
    from tests.pages.conftest import shown
    return shown(markdown)


def test_next_button_paging_says_pages_done_of_at_most_max_pages(app, db, analyst,
                                                                 queued_run) -> None:
    paged_run(db, analyst, queued_run.id, "running", 4, 5, 80)  # the worker's 4 of 5 = 80 %
    at = open_page(app, analyst)
    assert bar(at) == (40, "40% · 4 pages done of at most 10 · 5 found so far")
    assert at.dataframe[0].value.progress.tolist() == [40]


def test_a_canceled_run_never_shows_100_percent(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        runs.cancel_run(session, analyst, queued_run.id)
    paged_run(db, analyst, queued_run.id, "canceled", 5, 5, 100)  # all it knew of, done
    at = open_page(app, analyst)
    value, words = bar(at)
    assert value == 50
    assert words == f"Stopped after 5 pages of at most 10: canceled by {analyst.email}."
    assert at.dataframe[0].value.progress.tolist() == [50]


def test_a_failed_run_says_where_it_stopped(app, db, analyst, queued_run) -> None:
    paged_run(db, analyst, queued_run.id, "failed", 3, 3, 100)
    with db.transaction() as session:
        session.get(Run, queued_run.id).error_message = "The worker stopped responding."
    at = open_page(app, analyst)
    assert bar(at)[1] == "Failed after 3 pages of at most 10: see the error below."
    assert texts(at, "error") == ["The worker stopped responding."]


def test_durations_finish_times_and_links_to_results(app, db, analyst, queued_run) -> None:
    from datetime import timedelta
    with db.transaction() as session:
        run = session.get(Run, queued_run.id)
        run.status, run.started_at = "completed", run.created_at
        run.finished_at = run.created_at + timedelta(seconds=185)
    at = open_page(app, analyst)
    table = at.dataframe[0].value
    assert table.duration.tolist() == ["3 min 05 s"]
    assert table.results.tolist() == [f"results?run={queued_run.id}"]
    assert "finished_at" in table.columns
    assert bar(at) == (100, "100% · all 0 pages done")
    assert any(c.endswith("took 3 min 05 s") for c in texts(at, "caption"))


def test_a_click_on_a_row_opens_that_run(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        first = session.get(Run, queued_run.id)
        first.status = "completed"
        job = session.get(ScrapingJob, first.job_id)
        other = ScrapingJob(user_id=analyst.id, name="Chairs", target_url="https://shop.example/",
                            config_package=job.config_package)
        session.add(other)
        session.flush()
        runs.start_run(session, analyst, other.id)
    at = open_page(app, analyst)
    assert texts(at, "subheader")[0].endswith("Chairs — queued")  # the newest first
    assert "Open run" not in [s.label for s in at.selectbox]  # no dropdown: rows are clicked
    key = at.dataframe[0].key
    at.session_state[key] = {"selection": {"rows": [1], "columns": [], "cells": []}}
    at = at.run()
    assert texts(at, "subheader")[0].endswith("Lamps — completed")
    assert by_label(at.get("page_link"), "Open its results").proto.query_string == \
        f"run={queued_run.id}"


def test_a_link_opens_a_run(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        session.get(Run, queued_run.id).status = "completed"
        runs.rerun(session, analyst, queued_run.id)
    at = app(analyst.email).switch_page("pages/runs.py")
    at.query_params["run"] = str(queued_run.id)
    at = at.run()
    assert texts(at, "subheader")[0].endswith("Lamps — completed")


def test_a_failed_url_is_listed_with_its_error_and_no_raw_event_table(app, db, analyst,
                                                                      queued_run) -> None:
    with db.transaction() as session:
        session.get(Run, queued_run.id).status = "completed_errors"
        session.add(RunResult(run_id=queued_run.id, target_url="https://shop.example/gone",
                              success=False, status_code=404, error="HTTP 404 Not Found"))
    at = open_page(app, analyst)
    assert "Errors per URL (1)" in [h.value for h in at.subheader]
    errors = at.dataframe[-1].value
    assert errors[["url", "status_code", "error"]].values.tolist() == [
        ["https://shop.example/gone", 404, "HTTP 404 Not Found"]]
    assert not at.tabs  # the event log is the workflow panel's, in sentences, not raw JSON


def test_a_finished_run_whose_field_fill_rate_fell_says_so(app, db, analyst) -> None:
    full = [{"name": f"lamp {n}", "price": 10 + n} for n in range(10)]
    *_, third = runs_of_one_job(db, analyst, full, full, [
        {"name": f"lamp {n}", "price": None if n % 2 else 10} for n in range(10)])
    at = app(analyst.email).switch_page("pages/runs.py")
    at.query_params["run"] = str(third)
    at = at.run()
    assert any(w.startswith("price empty on 50% of pages since this run") and
               "the site changed?" in w for w in texts(at, "warning")), texts(at, "warning")


@pytest.mark.parametrize("seconds, text", [(0.3, "under 1 s"), (0.0, "under 1 s"), (12.4, "12 s"),
                                           (184, "3 min 04 s"), (7500, "2 h 05 min"),
                                           (None, None)])
def test_a_runs_duration_in_words(seconds: float | None, text: str | None) -> None:
    from ui.run_views import duration_text

    assert duration_text(seconds) == text
