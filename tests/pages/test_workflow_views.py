"""The workflow view on the Runs page and the builder: a real run's graph, timeline and log, the
log filtered by a step, a payload opened, two runs compared; a build's feedback loop."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from core import timeline
from core.platform.settings import get_settings
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.timeline import Handoff, HandoffTarget, StateTransition, WorkflowRef
from db.models import Build
from db.types import utcnow
from tests.pages.conftest import by_label


@pytest.fixture(autouse=True)
def queue_only(monkeypatch, local_fetching) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()


def a_finished_run(db, analyst, job_id: uuid.UUID) -> uuid.UUID:
    with db.transaction() as session:
        run = runs.start_run(session, analyst, job_id)
        assert claim(session, run.id, "pytest-worker")
    assert execute_run(db, run.id) == "completed"
    return run.id


def log_of(at):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "what" in d.value.columns)


def test_a_runs_graph_timeline_and_log(app, db, analyst, make_job) -> None:
    job_id = make_job(analyst)
    a_finished_run(db, analyst, job_id)
    a_finished_run(db, analyst, job_id)
    at = app(analyst.email).switch_page("pages/runs.py").run()
    assert not at.exception
    dot = at.get("graphviz_chart")[0].proto.spec
    assert '"fetch" [label="Fetch\\ncompleted' in dot and "3 pages" in dot
    assert '"render" [label="Render\\nidle' in dot  # not reached: drawn as planned
    assert len(at.get("plotly_chart")) == 1
    log = log_of(at)
    assert log.what.iloc[0] == "Ended: completed"
    assert log.what.str.startswith("Fetched http://127.0.0.1").sum() == 3

    at = by_label(at.selectbox, "Step").select("validate").run()  # only its events
    assert not at.exception
    assert "penwidth=3" in at.get("graphviz_chart")[0].proto.spec
    assert "No events match." in [c.value for c in at.caption]  # nothing broke the schema

    at = by_label(at.selectbox, "Step").select("fetch").run()
    at = by_label(at.multiselect, "Outcomes").select("ok").run()
    assert list(log_of(at).step.unique()) == ["Fetch"]
    at = by_label(at.selectbox, "Compare with").select_index(0).run()
    assert not at.exception
    compared = next(d.value for d in at.dataframe if "step" in d.value.columns
                    and "state · other" in d.value.columns)
    assert compared["counts · this"].tolist()[0] == "3 pages"


def test_a_builds_loop_on_the_builder(app, db, analyst) -> None:
    start = utcnow() - timedelta(minutes=5)
    with db.transaction() as session:
        build = Build(user_id=analyst.id, user_objective="products", status="pending_user_feedback",
                      iteration=2)
        session.add(build)
        session.flush()
        steps = [StateTransition(to="pending_analysis"), Handoff(target=HandoffTarget.WORKER),
                 StateTransition(to="generating_samples"),
                 StateTransition(to="pending_user_feedback", iteration=1),
                 StateTransition(to="processing_feedback"), Handoff(target=HandoffTarget.WORKER),
                 StateTransition(to="pending_user_feedback", iteration=2)]
        timeline.record_many(session, WorkflowRef.build(build.id), [
            type(e)(**{**e.__dict__, "at": start + timedelta(seconds=i)})
            for i, e in enumerate(steps)])
    at = app(analyst.email).switch_page("pages/builder.py").run()
    assert not at.exception
    dot = at.get("graphviz_chart")[0].proto.spec
    assert 'label="feedback ↻ 2"' in dot
    at = by_label(at.toggle, "Unroll loops").set_value(True).run()
    assert '"feedback#1" -> "sample#2"' in at.get("graphviz_chart")[0].proto.spec
