"""The workflow view (``core.timeline.view``) by example: a real run's graph with counts and cost
shares, its timeline bars, its log in sentences, every step's own events; a build's feedback loop
drawn once or unrolled; two runs compared; when a view keeps polling."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from core import ledger, timeline
from core.platform.errors import NotFound
from core.platform.settings import get_settings
from core.scraping import runs
from core.scraping.runner import claim, execute_run
from core.timeline import (Completion, Failure, Handoff, HandoffTarget, PageFetched, Retry,
                           StateTransition, ValidationResult, WorkflowRef)
from core.timeline.view import (EventType, Outcome, compare, log_page, place, sentence,
                                workflow_view)
from db.models import Build
from db.types import utcnow
from tests.conftest import prices_at_most_100_schema


@pytest.fixture(autouse=True)
def queue_only(monkeypatch: pytest.MonkeyPatch, local_fetching) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()


def a_finished_run(db, analyst, make_job, job_id=None) -> uuid.UUID:
    with db.transaction() as session:
        run = runs.start_run(session, analyst, job_id or make_job(analyst))
        assert claim(session, run.id, "pytest-worker")
    assert execute_run(db, run.id) == "completed"
    return run.id


def test_a_finished_runs_graph_has_counts_states_and_cost_shares(db, analyst, make_job) -> None:
    run_id = a_finished_run(db, analyst, make_job)
    with db.transaction() as session:
        view = workflow_view(session, analyst, WorkflowRef.run(run_id))
    fetch, render, extract = view.node("fetch"), view.node("render"), view.node("extract")
    assert not view.active
    assert (fetch.state.value, render.state.value, extract.state.value) == (
        "completed", "idle", "completed")
    assert fetch.counts["pages"] == 3  # the catalog's three pages
    assert extract.counts["items"] > 0  # the items found are shown on the extract step
    assert [s.kind for s in fetch.spend] == [ledger.CostKind.BYTES_FETCHED,
                                             ledger.CostKind.REQUESTS]
    assert fetch.share == 1.0  # every credit of this run went to requests
    dot = view.dot()
    assert '"render" [label="Render\\nidle"' in dot and 'fontcolor="#868e96"' in dot
    assert "3 pages" in dot and "100% of cost" in dot
    # One bar per node activation: fetch worked from the claim to the end.
    bars = {b.node: b for b in view.bars}
    assert bars["fetch"].outcome == "completed" and bars["fetch"].end >= bars["fetch"].start
    assert "render" not in bars


def test_the_log_reads_as_sentences_filtered_by_node_type_and_outcome(
        db, analyst, make_job) -> None:
    run_id = a_finished_run(db, analyst, make_job)
    ref = WorkflowRef.run(run_id)
    with db.transaction() as session:
        everything = log_page(session, analyst, ref)
        fetch_only = log_page(session, analyst, ref, node="fetch")
        statuses = log_page(session, analyst, ref, types=[EventType.STATE_TRANSITION])
        failed = log_page(session, analyst, ref, outcomes=[Outcome.FAILED])
    assert everything[0].sentence == "Ended: completed"
    assert everything[-1].sentence == "Status → queued (manual)"
    assert everything[-1].offset_s == 0.0 and everything[0].offset_s > 0
    assert all(line.node == "Fetch" for line in fetch_only) and len(fetch_only) == 3
    assert fetch_only[0].sentence.startswith(f"Fetched {fetch_only[0].payload['url']} (200, ")
    assert [line.sentence for line in statuses] == ["Status → queued (manual)"]
    assert failed == []
    with db.transaction() as session, pytest.raises(NotFound):
        log_page(session, analyst, WorkflowRef.run(uuid.uuid4()))


def test_sentences_name_what_happened() -> None:
    labels = {"fetch": "Fetch"}
    assert sentence(PageFetched(node="fetch", url="https://a.test/x", status=200, bytes=14_336,
                                seconds=0.083, items=4)) == \
        "Fetched https://a.test/x (200, 14 KB, 83 ms): 4 items"
    assert sentence(Retry(node="fetch", url="https://a.test/x", retries=1,
                          extra={"status": 503, "max_retries": 3})) == \
        "Retried https://a.test/x after 503, attempt 2 of 4"
    assert sentence(ValidationResult(url="https://a.test/x", violations=["price: not a number",
                                                                         "name: missing"])) == \
        "An item from https://a.test/x broke the schema: price: not a number (+1 more)"
    assert sentence(Failure(node="fetch", error="timed out"), labels) == "Fetch failed: timed out"
    assert sentence(Failure(to="failed", error="worker died")) == \
        "The workflow went to failed: worker died"
    assert sentence(Completion(to="completed_errors")) == "Ended: completed with errors"
    assert sentence(Completion(to="stopped_budget")) == "Ended: stopped: budget reached"
    assert sentence(Handoff(target=HandoffTarget.WORKER, request="cancel", by="a@b.test")) == \
        "Cancel requested by a@b.test"


def a_build_in_its_second_round(db, analyst) -> uuid.UUID:
    start = utcnow() - timedelta(minutes=10)
    with db.transaction() as session:
        build = Build(user_id=analyst.id, user_objective="products", status="pending_analysis")
        session.add(build)
        session.flush()
        steps = [StateTransition(to="pending_analysis"), Handoff(target=HandoffTarget.WORKER),
                 StateTransition(to="generating_samples"),
                 Failure(node="propose", error="the model answered no JSON"),
                 StateTransition(to="pending_user_feedback", iteration=1),
                 StateTransition(to="processing_feedback"), Handoff(target=HandoffTarget.WORKER),
                 StateTransition(to="pending_user_feedback", iteration=2)]
        timeline.record_many(session, WorkflowRef.build(build.id), [
            type(e)(**{**e.__dict__, "at": start + timedelta(minutes=i)})
            for i, e in enumerate(steps)])
        return build.id


def test_a_builds_loop_is_drawn_once_with_its_counter_or_unrolled(db, analyst) -> None:
    build_id = a_build_in_its_second_round(db, analyst)
    with db.transaction() as session:
        view = workflow_view(session, analyst, WorkflowRef.build(build_id))
    assert view.loop_iterations == 2
    assert not view.active  # it waits on the user's feedback: nothing to poll for
    once = view.dot()
    assert '"feedback" -> "sample" [label="feedback ↻ 2"' in once
    assert "✖ the model answered no JSON" in once  # a failed call, with its error
    unrolled = view.dot(unroll=True)
    assert '"sample#1"' in unrolled and '"feedback#2"' in unrolled
    assert '"feedback#1" -> "sample#2" [label="feedback"];' in unrolled
    assert '"propose" -> "sample#1";' in unrolled and "↻" not in unrolled
    # The timeline: the feedback step waited for the user, worked on the answer, and waits
    # again in round 2 (still open: it ends now).
    feedback = [b for b in view.bars if b.node == "feedback"]
    assert [(b.outcome, b.iteration) for b in feedback] == [
        ("waiting", 1), ("completed", 1), ("waiting", 2)]
    assert feedback[-1].text == "waiting now"


def test_idle_gaps_compress_and_completed_bars_hide(db, analyst) -> None:
    build_id = a_build_in_its_second_round(db, analyst)
    with db.transaction() as session:
        view = workflow_view(session, analyst, WorkflowRef.build(build_id))
    full = place(view.bars)
    squeezed = place(view.bars, compress=True, gap=2.0)
    assert max(e for _, _, e in squeezed.bars) <= max(e for _, _, e in full.bars)
    hidden = place(view.bars, hide_completed=True)
    assert all(b.outcome != "completed" for b, _, _ in hidden.bars)
    only = place(view.bars, node="feedback")
    assert {b.node for b, _, _ in only.bars} == {"feedback"}


def test_a_failure_at_the_first_event_is_drawn_from_zero_not_before() -> None:
    """A failure's bar ends when it was recorded and reaches 0.3 s back: at the workflow's first
    event that would be before its start (the axis read -0.3 s)."""
    from core.timeline.view import Bar

    origin = utcnow()
    failed = Bar("fetch", "Fetch", origin - timedelta(milliseconds=300), origin, Outcome.FAILED)
    later = Bar("fetch", "Fetch", origin + timedelta(seconds=1), origin + timedelta(seconds=2),
                Outcome.OK)
    axis = place([failed, later], origin=origin)
    assert [(round(s, 3), round(e, 3)) for _, s, e in axis.bars] == [(0.0, 0.0), (1.0, 2.0)]


def test_two_runs_of_a_job_compare_node_by_node(db, analyst, make_job) -> None:
    job_id = make_job(analyst)
    first = a_finished_run(db, analyst, make_job, job_id)
    second = a_finished_run(db, analyst, make_job, job_id)
    with db.transaction() as session:
        rows = compare(session, analyst, WorkflowRef.run(first), WorkflowRef.run(second))
    fetch = next(r for r in rows if r.node == "fetch")
    assert fetch.state == ("completed", "completed")
    assert fetch.counts[0] == fetch.counts[1] == "3 pages"
    assert not fetch.differs["counts"] and not fetch.differs["state"]


def test_a_crawls_and_an_audits_graph_from_the_cli(cli, db, analyst, viewer) -> None:
    from core.seo import crawls, reports

    with db.transaction() as session:
        crawl = crawls.start_crawl(session, analyst, "https://shop.example/", 5, {})
        report = reports.request_audit(session, analyst, "https://shop.example/lamp")
    status, out, err = cli("--user", analyst.email, "seo", "crawl-graph", str(crawl.id))
    assert status == 0, err
    assert [(n["id"], n["state"]) for n in json.loads(out)["nodes"]][0] == ("fetch", "waiting")
    status, out, _ = cli("--user", analyst.email, "seo", "audit-graph", str(report.id),
                         "--format", "dot")
    assert status == 0 and out.startswith(f'digraph "audit {report.id}"')
    status, out, err = cli("--user", viewer.email, "seo", "crawl-graph", str(crawl.id))
    assert status == 2 and "Crawl not found." in err  # another user's crawl
    status, _, err = cli("--user", analyst.email, "seo", "crawl-graph", "nope")
    assert status == 2 and "not found" in err and "Traceback" not in err


def test_a_selected_steps_events_are_bars_on_the_logs_axis(db, analyst, make_job) -> None:
    from core.timeline.view import node_bars

    run_id = a_finished_run(db, analyst, make_job)
    ref = WorkflowRef.run(run_id)
    with db.transaction() as session:
        view = workflow_view(session, analyst, ref)
        pages = node_bars(session, analyst, ref, "fetch")
        log = log_page(session, analyst, ref, node="fetch", origin=view.started)
    assert len(pages) == 3 and all(b.outcome == Outcome.OK for b in pages)
    assert all(b.text.startswith("Fetched ") for b in pages)
    axis = place([*view.bars, *pages], node="fetch", origin=view.started)
    ends = sorted(round(end, 3) for bar, _, end in axis.bars if bar in pages)
    assert ends == sorted(round(line.offset_s, 3) for line in log)  # bar ends = log offsets



def test_every_step_of_a_run_has_events_to_read(db, analyst, make_job) -> None:
    """Picking Extract or Store shows what that step did, not "No events match"."""
    run_id = a_finished_run(db, analyst, make_job)
    ref = WorkflowRef.run(run_id)
    with db.transaction() as session:
        view = workflow_view(session, analyst, ref)
        extract = log_page(session, analyst, ref, node="extract")
        store = log_page(session, analyst, ref, node="store")
        summary = runs.get_run(session, analyst, run_id)
    assert extract and all(line.node == "Extract" for line in extract)
    assert sum(line.payload["pages"] for line in extract) == 3
    assert sum(line.payload["items"] for line in extract) == summary.items_found > 0
    assert extract[-1].sentence.startswith("Extract: ") and " items from " in extract[-1].sentence
    assert sum(line.payload["stored"] for line in store) == summary.items_extracted > 0
    assert store[0].sentence.startswith("Store: ") and " stored" in store[0].sentence
    # The counts on the nodes are the steps' own, and agree with the run's counters.
    assert view.node("extract").counts["items"] == summary.items_found
    assert view.node("store").counts["stored"] == summary.items_extracted
    # A second run of the job finds the same items: its store step says they were kept already.
    again = a_finished_run(db, analyst, make_job, summary.job_id)
    with db.transaction() as session:
        store = workflow_view(session, analyst, WorkflowRef.run(again)).node("store")
    assert store.counts == {"repeated": summary.items_extracted}
    assert f"{summary.items_extracted} already stored" in store.count_text()


def test_invalid_items_and_retries_are_counted_past_the_event_caps(
        db, analyst, make_job, monkeypatch) -> None:
    """The runner writes one event per invalid item only up to MAX_INVALID_ITEM_EVENTS (here
    1), and one retry event per page however many retries it took: the counts say them all."""
    from core.scraping import runner

    monkeypatch.setattr(runner, "MAX_INVALID_ITEM_EVENTS", 1)
    schema_id = prices_at_most_100_schema(db, analyst)
    run_id = a_finished_run(db, analyst, make_job, make_job(analyst, schema_id=schema_id))
    ref = WorkflowRef.run(run_id)
    with db.transaction() as session:
        invalid = runs.get_run(session, analyst, run_id).meta["items_invalid"]
        timeline.record_many(session, ref, [
            Retry(node="fetch", url="https://a.test/1", retries=3),
            Retry(node="fetch", url="https://a.test/2", retries=1)])
        view = workflow_view(session, analyst, ref)
        one_each = log_page(session, analyst, ref, node="validate",
                            types=[EventType.VALIDATION_RESULT])
    assert invalid > 1 and len(one_each) == 1
    assert view.node("validate").counts["invalid"] == invalid
    assert f"{invalid} invalid" in view.dot()
    assert view.node("fetch").counts["retries"] == 4


def a_run_claimed_seconds_ago(db, analyst, make_job, seconds: float) -> uuid.UUID:
    with db.transaction() as session:
        run = runs.start_run(session, analyst, make_job(analyst))
        timeline.record(session, WorkflowRef.run(run.id), Handoff(
            target=HandoffTarget.WORKER, worker="w1", at=utcnow() - timedelta(seconds=seconds)))
        return run.id


def test_an_active_steps_time_runs_until_now(db, analyst, make_job) -> None:
    run_id = a_run_claimed_seconds_ago(db, analyst, make_job, 3)
    with db.transaction() as session:
        view = workflow_view(session, analyst, WorkflowRef.run(run_id))
    fetch = view.node("fetch")
    assert fetch.state.value == "active" and fetch.seconds is not None and fetch.seconds >= 3
    assert "active · 3." in view.dot()  # not "active · 0.0 s" under a 3 s bar


def test_a_view_polls_while_work_goes_on_not_while_a_person_is_awaited(
        db, analyst, make_job) -> None:
    build_id = a_build_in_its_second_round(db, analyst)  # waits on the user's feedback
    with db.transaction() as session:
        assert not workflow_view(session, analyst, WorkflowRef.build(build_id)).active
        run = runs.start_run(session, analyst, make_job(analyst))  # waits for a worker: polls
        timeline.record(session, WorkflowRef.build(build_id),
                        StateTransition(to="processing_feedback", iteration=2))
    with db.transaction() as session:
        assert workflow_view(session, analyst, WorkflowRef.run(run.id)).active
        # The user answered: the feedback waits for a worker now, and the view polls again.
        assert workflow_view(session, analyst, WorkflowRef.build(build_id)).active


def test_a_kind_without_a_view_is_named_with_its_article(db, analyst) -> None:
    with db.transaction() as session, pytest.raises(NotFound) as advisor:
        workflow_view(session, analyst, WorkflowRef.advisor(uuid.uuid4()))
    assert str(advisor.value) == "An advisor workflow has no view here yet."


def test_the_advisors_loop_shows_its_bound_in_both_drawings(db, analyst) -> None:
    """The advisor refines at most MAX_ITERATION times: its loop reads "feedback ↻ 1/3", the
    same in the CLI's and the advisor page's drawing (``timeline.graph``) as in the panel's."""
    from dataclasses import replace

    from core.timeline.view import build_view, to_dot
    from db.models.advisor import MAX_ITERATION

    ref = WorkflowRef.advisor(uuid.uuid4())
    with db.transaction() as session:  # not started yet: no refinement of three
        view = build_view(session, ref)
        assert 'label="feedback ↻ 0/3", constraint=false' in to_dot(view)
        assert timeline.graph(session, ref).to_dot() == to_dot(view)
    refining = replace(view, nodes=[replace(n, iteration=1) for n in view.nodes])
    assert MAX_ITERATION == 3
    assert 'label="feedback ↻ 1/3", constraint=false' in to_dot(refining)
    build = a_build_in_its_second_round(db, analyst)
    with db.transaction() as session:  # a build's rounds have no bound
        view = workflow_view(session, analyst, WorkflowRef.build(build))
        assert 'label="feedback ↻ 2", constraint=false' in to_dot(view)
