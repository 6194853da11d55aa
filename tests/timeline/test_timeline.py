"""The workflow timeline (``core.timeline``) by example: what a run, a build, an SEO crawl and an
SEO audit write, read back as typed events, and the node states kept as they are written."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import (String, Uuid, bindparam, column, create_engine, insert, select, table,
                        text)
from sqlalchemy.exc import IntegrityError, StatementError

from core import timeline
from core.timeline import (Completion, Failure, Handoff, HandoffTarget, NodeState, PageFetched,
                           Retry, StateTransition, WorkflowRef)
from core.timeline.view import sentence
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.platform.settings import get_settings
from db.migrate import upgrade
from db.models import Build, EventType, Run, RunEvent, WorkflowNodeState
from db.types import JSONDocument, UTCDateTime, utcnow


@pytest.fixture(autouse=True)
def queue_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EXECUTOR", "queue")  # tests execute what they start
    get_settings.cache_clear()


def states(db, ref: WorkflowRef) -> dict[str, tuple[str, int | None]]:
    with db.transaction() as session:
        return {s.node.id: (s.state.value, s.active_iteration)
                for s in timeline.node_states(session, ref)}


def a_build(db, owner) -> uuid.UUID:
    with db.transaction() as session:
        build = Build(user_id=owner.id, user_objective="products", status="pending_analysis")
        session.add(build)
        session.flush()
        return build.id


# --- The declared workflows ----------------------------------------------------------------------

def test_every_event_type_has_exactly_one_class() -> None:
    assert set(timeline.EVENTS) == set(EventType)
    assert all(cls.type is event_type for event_type, cls in timeline.EVENTS.items())


def test_a_run_is_fetch_render_extract_validate_store_and_a_build_loops_on_feedback() -> None:
    run, build = timeline.WORKFLOWS[timeline.WorkflowKind.RUN], timeline.WORKFLOWS["build"]
    assert run.node_ids == ("fetch", "render", "extract", "validate", "store")
    assert [(e.source, e.target) for e in run.edges] == [
        ("fetch", "render"), ("render", "extract"), ("extract", "validate"),
        ("validate", "store")]
    assert build.node_ids == ("analyse", "propose", "sample", "feedback", "confirm")
    assert [(e.source, e.target) for e in build.edges if e.loop] == [("feedback", "sample")]
    for workflow in timeline.WORKFLOWS.values():  # every edge joins declared nodes
        assert {n for e in workflow.edges for n in (e.source, e.target)} <= set(workflow.node_ids)
        for status, changes in workflow.on_status.items():
            assert set(changes) <= set(workflow.node_ids), (workflow.kind, status)


# --- A run, end to end ---------------------------------------------------------------------------

@pytest.mark.usefixtures("local_fetching")
def test_a_run_reads_back_as_typed_events_and_its_nodes_complete(db, analyst, make_job) -> None:
    with db.transaction() as session:
        run = runs.start_run(session, analyst, make_job(analyst))
    ref = WorkflowRef.run(run.id)
    assert states(db, ref)["fetch"] == ("waiting", None)  # queued: waiting for a worker
    with db.transaction() as session:
        assert claim(session, run.id, "pytest-worker")
    assert states(db, ref) == {"fetch": ("active", None), "render": ("idle", None),
                               "extract": ("active", None), "validate": ("active", None),
                               "store": ("active", None)}
    assert execute_run(db, run.id) == "completed"

    with db.transaction() as session:
        events = timeline.events(session, ref, newest_first=False)
        fetch = next(s for s in timeline.node_states(session, ref) if s.node.id == "fetch")
    assert events[0] == StateTransition(to="queued", trigger="manual", at=events[0].at)
    assert events[1] == Handoff(target=HandoffTarget.WORKER, worker="pytest-worker",
                                at=events[1].at)
    pages = [e for e in events if isinstance(e, PageFetched)]
    assert len(pages) == 3 and all(p.node == "fetch" and p.status == 200 for p in pages)
    assert sum(p.items or 0 for p in pages) >= 10
    assert isinstance(events[-1], Completion) and events[-1].to == "completed"
    # Every node the run used completed; render was never needed, so it stays idle (planned).
    assert states(db, ref) == {"fetch": ("completed", None), "render": ("idle", None),
                               "extract": ("completed", None), "validate": ("completed", None),
                               "store": ("completed", None)}
    assert fetch.events == 3 and fetch.failures == 0 and fetch.started_at <= fetch.updated_at


@pytest.mark.usefixtures("local_fetching")
def test_a_retried_page_says_why_and_which_attempt_won(db, analyst, make_job) -> None:
    case = uuid.uuid4().hex  # the fixture server counts the 503s per URL
    job = make_job(analyst, url=f"/flaky?case={case}", pagination={"type": "none"})
    with db.transaction() as session:
        run = runs.start_run(session, analyst, job)
        assert claim(session, run.id, "pytest-worker")
    execute_run(db, run.id)

    with db.transaction() as session:
        [retry] = [e for e in timeline.events(session, WorkflowRef.run(run.id))
                   if isinstance(e, Retry)]
    assert sentence(retry).startswith("Retried http://127.0.0.1:")
    assert sentence(retry).endswith(
        f"/flaky?case={case} (HTTP 503 Service Unavailable), attempt 3 of "
        f"{get_settings().fetch_max_retries + 1}")


def test_a_run_whose_worker_died_fails_with_to_and_failed_nodes(db, analyst, make_job) -> None:
    with db.transaction() as session:
        run = runs.start_run(session, analyst, make_job(analyst))
        assert claim(session, run.id, "gone")
        session.get(Run, run.id).heartbeat_at = utcnow() - timedelta(hours=1)
    with db.transaction() as session:
        assert runs.reap_stale_runs(session) == 1
    with db.transaction() as session:
        [last] = timeline.events(session, WorkflowRef.run(run.id), limit=1)
    # The same shape a build's stale failure has: where the workflow went, and why.
    assert isinstance(last, Failure) and last.to == "failed" and last.reason == "heartbeat lost"
    assert states(db, WorkflowRef.run(run.id))["fetch"] == ("failed", None)


# --- A build: the feedback loop ----------------------------------------------------------------

def test_a_builds_nodes_follow_its_statuses_round_the_feedback_loop(db, analyst) -> None:
    build_id = a_build(db, analyst)
    ref = WorkflowRef.build(build_id)

    def write(*events: timeline.Event) -> dict[str, tuple[str, int | None]]:
        with db.transaction() as session:
            timeline.record_many(session, ref, list(events))
        return states(db, ref)

    assert write(StateTransition(to="pending_analysis"))["analyse"] == ("waiting", None)
    now = write(Handoff(target=HandoffTarget.WORKER, worker="w1"),
                PageFetched(node="analyse", url="https://shop.test/a", status=200),
                Handoff(node="propose", target=HandoffTarget.MODEL, extra={"asked": "fields"}),
                StateTransition(to="generating_samples"))
    assert now == {"analyse": ("completed", None), "propose": ("completed", None),
                   "sample": ("active", None), "feedback": ("idle", None),
                   "confirm": ("idle", None)}
    now = write(StateTransition(to="pending_user_feedback", iteration=1))
    assert (now["sample"], now["feedback"]) == (("completed", 1), ("waiting", 1))
    now = write(StateTransition(to="processing_feedback"),
                Handoff(target=HandoffTarget.WORKER, worker="w2"))
    assert now["feedback"] == ("active", 1)
    now = write(StateTransition(to="pending_user_feedback", iteration=2))
    assert (now["sample"], now["feedback"]) == (("completed", 2), ("waiting", 2))
    now = write(Completion(to="confirmed"))
    assert (now["feedback"], now["confirm"]) == (("completed", 2), ("completed", None))


def test_a_failed_feedback_step_keeps_the_build_waiting_and_counts_the_failure(db,
                                                                                analyst) -> None:
    ref = WorkflowRef.build(a_build(db, analyst))
    with db.transaction() as session:
        timeline.record_many(session, ref, [
            StateTransition(to="pending_user_feedback", iteration=1),
            StateTransition(to="processing_feedback"),
            Handoff(target=HandoffTarget.WORKER, worker="w"),
            Failure(to="pending_user_feedback", error="That would leave no field at all.")])
    with db.transaction() as session:
        feedback = next(s for s in timeline.node_states(session, ref) if s.node.id == "feedback")
    assert feedback.state is NodeState.WAITING and feedback.failures == 1
    assert feedback.last_error == "That would leave no field at all."


# --- What is refused -----------------------------------------------------------------------------

def test_an_unknown_node_or_an_unregistered_event_is_refused_and_nothing_written(db,
                                                                                 analyst) -> None:
    ref = WorkflowRef.build(a_build(db, analyst))

    class Gossip(timeline.Event):  # not registered
        type = EventType.HANDOFF

    with pytest.raises(ValueError, match="a build has no node 'fetch'"), \
            db.transaction() as session:
        timeline.record(session, ref, PageFetched(node="fetch", url="https://x.test/"))
    with pytest.raises(TypeError, match="Gossip is not a registered event class"), \
            db.transaction() as session:
        timeline.record(session, ref, Gossip())
    with db.transaction() as session:
        assert timeline.events(session, ref) == []


def test_the_database_refuses_an_event_type_that_is_not_in_the_enum(db, analyst) -> None:
    build_id = a_build(db, analyst)
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(insert(RunEvent.__table__).values(
            id=uuid.uuid4(), build_id=build_id, event_type="gossip", payload={},
            occurred_at=utcnow()))


def test_an_event_belongs_to_exactly_one_workflow(db, analyst, make_job) -> None:
    build_id = a_build(db, analyst)
    with db.transaction() as session:
        run = runs.start_run(session, analyst, make_job(analyst))
    with pytest.raises(IntegrityError), db.transaction() as session:
        session.execute(insert(RunEvent.__table__).values(
            id=uuid.uuid4(), build_id=build_id, run_id=run.id, event_type="handoff",
            payload={"target": "worker"}, occurred_at=utcnow()))


# --- Old rows ------------------------------------------------------------------------------------

def test_unknown_payload_keys_are_kept_and_missing_text_reads_empty() -> None:
    event = timeline.from_row("handoff", "propose", {"target": "knowledge_base", "entry": "e1"})
    assert event == Handoff(node="propose", target="knowledge_base", extra={"entry": "e1"})
    assert event.payload() == {"target": "knowledge_base", "entry": "e1"}
    assert timeline.from_row("completion", None, {}) == Completion(to="")


def test_the_migration_brings_old_payloads_to_one_shape_per_type(fresh_database_url) -> None:
    from alembic import command

    from core.platform.database import open_database
    from db.migrate import alembic_config
    from db.models import ScrapingJob, User

    database = open_database(fresh_database_url, migrate=False)
    with database.transaction() as session:
        user = User(email="old@example.com", name="old", role="analyst", password_hash="x")
        session.add(user)
        session.flush()
        job = ScrapingJob(user_id=user.id, name="j", target_url="https://a.test/",
                          target_urls=["https://a.test/"], pagination_type="none",
                          pagination={}, config_package={}, options={})
        build = Build(user_id=user.id, user_objective="o", status="failed")
        session.add_all([job, build])
        session.flush()
        run = Run(job_id=job.id, user_id=user.id, status="failed", target_urls=[],
                  idempotency_key="k")
        session.add(run)
        session.flush()
        run_id, build_id = run.id, build.id
    database.dispose()
    # 0009: before the timeline had one owner
    command.downgrade(alembic_config(fresh_database_url), "0009")
    old = [  # as the three writers wrote them before
        (run_id, None, "state_transition", None, {"to": "running", "worker": "w1"}),
        (run_id, None, "failure", None, {"reason": "heartbeat lost"}),
        (None, build_id, "handoff", None, {"worker": "w2"}),
        (None, build_id, "page_fetched", "fetch", {"url": "https://a.test/", "status": 200}),
        (None, build_id, "handoff", "knowledge_base", {"entry": "e", "reason": "same site"}),
    ]
    events_0007 = table("run_events", column("id", Uuid), column("run_id", Uuid),
                        column("build_id", Uuid), column("event_type", String),
                        column("node_id", String), column("payload", JSONDocument),
                        column("occurred_at", UTCDateTime))
    engine = create_engine(fresh_database_url)
    with engine.begin() as conn:
        conn.execute(insert(events_0007), [
            {"id": uuid.uuid4(), "run_id": run_ref, "build_id": build_ref, "event_type": kind,
             "node_id": node, "payload": payload, "occurred_at": utcnow() + timedelta(seconds=n)}
            for n, (run_ref, build_ref, kind, node, payload) in enumerate(old)])
    engine.dispose()
    upgrade(fresh_database_url)

    database = open_database(fresh_database_url, migrate=False)
    with database.transaction() as session:
        run_events = timeline.events(session, WorkflowRef.run(run_id), newest_first=False)
        build_events = timeline.events(session, WorkflowRef.build(build_id), newest_first=False)
    database.dispose()
    # Claiming a run and a build is one event type, and a stale failure says where it went.
    assert run_events[0] == Handoff(target="worker", worker="w1", at=run_events[0].at)
    assert run_events[1] == Failure(to="failed", reason="heartbeat lost", at=run_events[1].at)
    assert build_events[0] == Handoff(target="worker", worker="w2", at=build_events[0].at)
    # A build's old node names are its declared nodes now.
    assert [e.node for e in build_events[1:]] == ["analyse", "propose"]
    assert build_events[2].target == "knowledge_base"
    assert build_events[2].extra == {"entry": "e", "reason": "same site"}


def test_node_state_rows_are_one_per_node_and_workflow(db, analyst) -> None:
    ref = WorkflowRef.build(a_build(db, analyst))
    for _ in range(2):
        with db.transaction() as session:
            timeline.record(session, ref, StateTransition(to="pending_analysis"))
    with db.transaction() as session:
        rows = session.scalars(select(WorkflowNodeState.node_id)
                               .where(WorkflowNodeState.build_id == ref.id)).all()
    assert sorted(rows) == sorted(ref.workflow.node_ids)


def test_the_database_accepts_every_value_of_the_enums(db, analyst) -> None:
    """The migration's check constraints and the enums agree (the other way round: above)."""
    from db.models import CostEvent, CostKind, NodeState, NodeType

    build_id = a_build(db, analyst)
    with db.transaction() as session:
        session.execute(insert(RunEvent.__table__), [
            {"id": uuid.uuid4(), "build_id": build_id, "event_type": t.value, "payload": {},
             "occurred_at": utcnow()} for t in EventType])
        session.execute(insert(WorkflowNodeState.__table__), [
            {"id": uuid.uuid4(), "build_id": build_id, "node_id": f"{t}-{s}", "node_type": t.value,
             "state": s.value, "events": 0, "failures": 0, "updated_at": utcnow()}
            for t in NodeType for s in NodeState])
        session.execute(insert(CostEvent.__table__), [
            {"id": uuid.uuid4(), "user_id": analyst.id, "kind": k.value, "quantity": 1,
             "unit": "x", "occurred_at": utcnow()} for k in CostKind])


def test_a_workflows_events_are_read_through_the_partial_index_of_its_column(db,
                                                                            analyst) -> None:
    # Each workflow column's index holds only the events of that kind (migration 0027): the
    # query the reader sends must still be one the planner answers from it.
    build_id = a_build(db, analyst)
    ref = WorkflowRef.build(build_id)
    with db.transaction() as session:
        timeline.record(session, ref, StateTransition(to="pending_analysis"))
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table, else a scan
        explain = ("EXPLAIN QUERY PLAN " if session.get_bind().dialect.name == "sqlite"
                   else "EXPLAIN ")
        query = text("SELECT event_type FROM run_events WHERE build_id = :id "  # the reader's
                     "ORDER BY occurred_at").bindparams(bindparam("id", build_id, type_=Uuid))
        plan = " ".join(str(row) for row in session.execute(text(explain + query.text).bindparams(
            bindparam("id", build_id, type_=Uuid))))
        found = list(session.scalars(query))

    assert "ix_run_events_build_id_occurred_at" in plan
    assert found == [EventType.STATE_TRANSITION]


def test_events_read_back_as_written_whatever_their_clock_and_text(db, analyst) -> None:
    # On SQLite the writer hands the driver the stored form itself (db.plain_rows): the time in
    # UTC without its zone, the payload's JSON text. Read back, nothing differs.
    ref = WorkflowRef.build(a_build(db, analyst))
    paris = timezone(timedelta(hours=2))
    written = [Failure(node="analyse", url="https://shop.test/café?q=ï", error="refusé: 403",
                       status=403, at=datetime(2026, 7, 1, 12, 30, 15, 123456, tzinfo=paris)),
               Retry(node="analyse", url="https://shop.test/", retries=2,
                     at=datetime(2026, 7, 1, 10, 30, 16, tzinfo=timezone.utc))]
    with db.transaction() as session:
        timeline.record_many(session, ref, written)
    with db.transaction() as session:
        read = timeline.events(session, ref, newest_first=False)

    assert read == written
    assert read[0].at == datetime(2026, 7, 1, 10, 30, 15, 123456, tzinfo=timezone.utc)
    assert read[0].at.utcoffset() == timedelta(0)


def test_a_naive_time_is_refused_before_anything_is_written(db, analyst) -> None:
    ref = WorkflowRef.build(a_build(db, analyst))
    # (SQLAlchemy wraps the column type's ValueError on PostgreSQL)
    with pytest.raises((ValueError, StatementError), match="naive"), \
            db.transaction() as session:
        timeline.record_many(session, ref, [Retry(node="analyse", url="https://shop.test/",
                                                   retries=1, at=datetime(2026, 7, 1, 10))])
    with db.transaction() as session:
        assert timeline.events(session, ref) == []
