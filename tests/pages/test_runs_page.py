"""The Runs page: live list, detail counters, cancel and re-run."""

import uuid

import pytest

from core import runs
from core.settings import get_settings
from db.models import Run, ScrapingJob
from tests.pages.conftest import by_label, texts


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
    assert at.dataframe[0].value.status.tolist() == ["running"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Pages fetched": "7", "Items found": "70", "Items stored": "65",
                       "Errors": "0"}
    assert by_label(at.button, "Cancel run")


def test_cancel_a_queued_run_from_the_page(app, analyst, queued_run) -> None:
    at = open_page(app, analyst)
    at = by_label(at.button, "Cancel run").click().run()
    assert "Cancel requested." in texts(at, "success")
    at = at.run()
    assert "canceled" in at.dataframe[0].value.status.tolist()


def test_rerun_a_finished_run(app, db, analyst, queued_run) -> None:
    with db.transaction() as session:
        session.get(Run, queued_run.id).status = "completed"
    at = by_label(open_page(app, analyst).button, "Re-run").click().run()
    assert not at.exception
    assert len(at.dataframe[0].value) == 2


def test_another_analysts_runs_are_not_listed(app, make_user, queued_run) -> None:
    other = make_user("analyst")
    assert "No runs yet" in texts(open_page(app, other), "info")[0]
