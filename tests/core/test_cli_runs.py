"""``python -m core runs …``: start and wait, list, show, cancel; a failed run exits 1."""

import json

import pytest

from core.settings import get_settings


@pytest.fixture
def cli(cli, local_fetching, monkeypatch):  # type: ignore[no-untyped-def]
    """The shared ``cli``, with workers fetching from the local fixture site."""
    monkeypatch.setenv("EXECUTOR", "local")
    get_settings.cache_clear()
    return cli


def test_start_and_wait_prints_progress_until_completed(cli, analyst, make_job) -> None:
    job = make_job(analyst)
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait",
                           "--interval", "0.2")
    assert status == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("Run ") and "queued for" in lines[0]
    assert lines[-1].startswith("completed 100%  pages 3")


def test_a_failed_run_exits_non_zero(cli, analyst, make_job) -> None:
    job = make_job(analyst, url="/missing.html")
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait",
                           "--interval", "0.2")
    assert status == 1
    assert "Run failed: No page could be fetched" in err


def test_list_show_and_cancel(cli, analyst, make_job, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    job = make_job(analyst)
    run_id = cli("--user", analyst.email, "runs", "start", str(job))[1].split()[1]
    assert run_id in cli("--user", analyst.email, "runs", "list")[1]
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1])
    assert shown["status"] == "queued" and shown["events"][0]["event"] == "state_transition"
    assert cli("--user", analyst.email, "runs", "cancel", run_id)[1].strip().endswith("canceled")
    status, _, err = cli("--user", analyst.email, "runs", "cancel", run_id)
    assert status == 1 and "already canceled" in err


def test_serve_executes_queued_runs(cli, analyst, make_job, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    job = make_job(analyst)
    run_id = cli("--user", analyst.email, "runs", "start", str(job))[1].split()[1]
    with pytest.raises(SystemExit) as done:
        cli("worker", "serve", "--max-runs", "1")
    assert done.value.code == 0
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1])
    assert shown["status"] == "completed" and shown["items_stored"] >= 10
