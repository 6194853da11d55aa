"""``python -m core runs …``: start and wait, list, show, cancel; a failed run exits 1."""

import json

import pytest

from core.platform.settings import get_settings


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
    assert lines[-1].startswith("completed: 100% · all 3 pages done · fetched 3, found ")


def test_a_failed_run_exits_non_zero(cli, analyst, make_job) -> None:
    job = make_job(analyst, url="/missing.html")
    status, out, err = cli("--user", analyst.email, "runs", "start", str(job), "--wait",
                           "--interval", "0.2")
    assert status == 1
    assert "Run failed: No page could be fetched" in err


def strict(constant: str) -> None:
    raise AssertionError(f"{constant} is not JSON")


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
    assert status == 2 and "already canceled" in err
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1])
    assert (shown["progress_percent"], shown["progress"]) == (
        0, f"Stopped after 0 pages of at most 50: canceled by {analyst.email}.")  # it pages


def test_serve_executes_queued_runs(cli, analyst, make_job, monkeypatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    job = make_job(analyst)
    run_id = cli("--user", analyst.email, "runs", "start", str(job))[1].split()[1]
    with pytest.raises(SystemExit) as done:
        cli("worker", "serve", "--max-runs", "1")
    assert done.value.code == 0
    shown = json.loads(cli("--user", analyst.email, "runs", "show", run_id)[1],
                       parse_constant=strict)  # JSON any parser reads: no NaN
    assert shown["status"] == "completed" and shown["items_stored"] >= 10
    nodes = {event["event"]: event["node"] for event in shown["events"]}
    assert nodes["page_fetched"] == "fetch" and nodes["completion"] is None
    assert shown["credits_charged"] == "3.0000"  # three pages, a credit per request
    kinds = {k["kind"]: k for k in shown["cost"]["by_kind"]}  # what it cost, and why
    assert kinds["requests"]["quantity"] == "3" and int(kinds["bytes_fetched"]["quantity"]) > 0
    # priced or not depends on the price table (another test may have emptied it): either way
    # the rows without a price are counted, never shown as $0
    unpriced = [k for k in kinds.values() if k["usd"] is None]
    assert shown["cost"]["unpriced_rows"] >= len(unpriced)
