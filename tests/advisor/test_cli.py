"""``python -m core advisor ask|show|cancel``: the done-when scenario for both providers, each
provider run in its own worker process (spawned after the query commits, as the app does)."""

from __future__ import annotations

import json
import time

import pytest

from core.platform.settings import get_settings
from tests.advisor.conftest import SCENARIO


@pytest.fixture
def local_workers(docs, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "local")  # `ask` spawns `python -m core.worker advisor ID`
    get_settings.cache_clear()
    return docs


def test_ask_waits_for_both_runs_in_parallel_workers_and_prints_the_design(
        cli, analyst, local_workers) -> None:
    status, out, err = cli("--user", analyst.email, "advisor", "ask", SCENARIO,
                           "--providers", "aws,azure", "--wait", "--json")
    assert status == 0, err
    doc = json.loads(out[out.index("{"):])
    runs = {r["provider"]: r for r in doc["runs"]}
    assert {p: (r["status"], r["iteration_count"]) for p, r in runs.items()} == {
        "aws": ("accepted", 1), "azure": ("accepted", 1)}
    # Two worker processes, one per provider, both started when the query committed.
    assert runs["aws"]["worker_id"] != runs["azure"]["worker_id"]
    assert all(r["worker_id"].split(":")[1].isdigit() for r in runs.values())
    shown = cli("--user", analyst.email, "advisor", "show", doc["id"])[1]
    assert "## AWS: accepted" in shown and "## AZURE: accepted" in shown
    assert "Evidence: High availability for Amazon Aurora" in shown


def test_ask_refuses_bad_input_with_a_message_and_exit_2(cli, analyst, docs, tmp_path) -> None:
    bad = tmp_path / "c.json"
    bad.write_text('{"budget_usd_month": 0, "multi_region": true}')
    cases = [
        (["", "--providers", "aws"], "the text is empty"),
        (["an API", "--providers", "gcp"], "Unknown provider gcp"),
        (["an API", "--constraints", str(bad)], "multi-region"),
        (["an API", "--constraints", str(tmp_path / "missing.json")], "Cannot read"),
        (["an API", "--prefer", "speed"], "invalid choice: 'speed'"),
    ]
    for args, message in cases:
        status, _out, err = cli("--user", analyst.email, "advisor", "ask", *args)
        assert status == 2 and message in err and "Traceback" not in err
    bad.write_text("{budget")
    status, _out, err = cli("--user", analyst.email, "advisor", "ask", "an API",
                            "--constraints", str(bad))
    assert status == 2 and "not JSON" in err
    status, _out, err = cli("--user", analyst.email, "advisor", "show", "not-an-id")
    assert status == 2


def test_ask_without_wait_queues_and_cancel_stops_a_queued_run(cli, analyst, docs) -> None:
    status, out, _err = cli("--user", analyst.email, "advisor", "ask", SCENARIO,
                            "--providers", "azure", "--json")
    assert status == 0
    run_id = json.loads(out)["runs"]["azure"]
    assert cli("--user", analyst.email, "advisor", "cancel", run_id)[1].strip() == "Canceled."
    doc = json.loads(cli("--user", analyst.email, "advisor", "show", run_id, "--json")[1])
    run = doc["runs"][0]
    assert (run["status"], run["terminal_reason"]) == ("stopped", "canceled")
    assert "canceled by a person" in run["explanation"]
    status, _out, err = cli("--user", analyst.email, "advisor", "cancel", run_id)
    assert status == 2 and "already stopped" in err


def test_the_optimisation_preference_is_kept_and_shown(cli, analyst, docs) -> None:
    status, out, _err = cli("--user", analyst.email, "advisor", "ask", SCENARIO,
                            "--providers", "aws", "--prefer", "availability", "--json")
    assert status == 0
    doc = json.loads(cli("--user", analyst.email, "advisor", "show",
                         json.loads(out)["query_id"], "--json")[1])
    assert doc["priority"] == "availability"
