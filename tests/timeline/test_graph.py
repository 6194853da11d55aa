"""``python -m core runs graph`` / ``builds graph``: a workflow's declared topology with its node
states, as JSON or Graphviz DOT, ready to check or to draw."""

from __future__ import annotations

import json
import uuid

import pytest

from core import timeline
from core.platform.settings import get_settings
from core.timeline import Handoff, HandoffTarget, StateTransition, WorkflowRef
from db.models import Build


@pytest.fixture
def cli(cli, local_fetching, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")  # `worker serve` executes the run in-process
    get_settings.cache_clear()
    return cli


def test_a_completed_runs_graph_as_json(cli, analyst, make_job) -> None:
    run_id = cli("--user", analyst.email, "runs", "start", str(make_job(analyst)))[1].split()[1]
    queued = json.loads(cli("--user", analyst.email, "runs", "graph", run_id)[1])
    assert [(n["id"], n["state"]) for n in queued["nodes"]] == [
        ("fetch", "waiting"), ("render", "idle"), ("extract", "idle"), ("validate", "idle"),
        ("store", "idle")]
    with pytest.raises(SystemExit):
        cli("worker", "serve", "--max-runs", "1")
    done = json.loads(cli("--user", analyst.email, "runs", "graph", run_id, "--format",
                          "json")[1])
    states = {n["id"]: n["state"] for n in done["nodes"]}
    assert states == {"fetch": "completed", "render": "idle", "extract": "completed",
                      "validate": "completed", "store": "completed"}
    assert next(n for n in done["nodes"] if n["id"] == "fetch")["events"] == 3
    assert [(e["source"], e["target"]) for e in done["edges"]][0] == ("fetch", "render")


def test_a_builds_graph_as_dot_shows_the_feedback_loop_once_with_its_iteration(
        cli, db, analyst) -> None:
    with db.transaction() as session:
        build = Build(user_id=analyst.id, user_objective="products", status="pending_analysis")
        session.add(build)
        session.flush()
        timeline.record_many(session, WorkflowRef.build(build.id), [
            StateTransition(to="pending_analysis"), Handoff(target=HandoffTarget.WORKER),
            StateTransition(to="generating_samples"),
            StateTransition(to="pending_user_feedback", iteration=1),
            StateTransition(to="processing_feedback"), Handoff(target=HandoffTarget.WORKER),
            StateTransition(to="pending_user_feedback", iteration=2)])
    status, dot, err = cli("--user", analyst.email, "builds", "graph", str(build.id),
                           "--format", "dot")
    assert status == 0, err
    assert dot.startswith(f'digraph "build {build.id}" {{')
    assert '"feedback" -> "sample" [label="feedback ↻ 2", constraint=false' in dot
    assert dot.count("->") == 5  # four steps forward, one loop back
    assert '"confirm" [label="Confirm\\nidle"' in dot and "dashed" in dot  # planned, greyed


def test_the_cli_draws_a_run_as_the_runs_page_does(cli, db, analyst, make_job) -> None:
    """One DOT renderer: ``runs graph --format dot`` is the workflow panel's drawing, with its
    counts and times (not a second, plainer picture)."""
    from core.timeline.view import workflow_view

    run_id = cli("--user", analyst.email, "runs", "start", str(make_job(analyst)))[1].split()[1]
    with pytest.raises(SystemExit):
        cli("worker", "serve", "--max-runs", "1")
    status, dot, err = cli("--user", analyst.email, "runs", "graph", run_id, "--format", "dot")
    assert status == 0, err
    with db.transaction() as session:
        drawn = workflow_view(session, analyst, WorkflowRef.run(uuid.UUID(run_id))).dot()
    assert dot.rstrip("\n") == drawn
    assert "3 pages" in dot and "items" in dot  # the counts, as on the Runs page
    done = json.loads(cli("--user", analyst.email, "runs", "graph", run_id)[1])
    assert next(n for n in done["nodes"] if n["id"] == "fetch")["counts"] == {"pages": 3}


def test_someone_elses_or_a_missing_graph_is_a_message(cli, analyst, make_user) -> None:
    other = make_user("analyst")
    status, out, err = cli("--user", other.email, "builds", "graph", str(uuid.uuid4()))
    assert status != 0 and not out and "Traceback" not in err and "not found" in err.lower()
    status, _, err = cli("--user", analyst.email, "runs", "graph", str(uuid.uuid4()),
                         "--format", "svg")
    assert status == 2 and "invalid choice: 'svg'" in err
