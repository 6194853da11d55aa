"""Provider runs end to end, executed by the worker code in-process (``execute_one``, as
``python -m core.worker advisor RUN_ID`` does), fetching their evidence from the copied official
pages on 127.0.0.1."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from core import timeline
from core.advisor import records
from core.advisor.runner import reap_stale
from core.worker import execute_one, serve_once
from db.models.advisor import (
    DomainProposal, DomainTask, ProviderRun, RefinementFeedback, ValidationFinding,
)
from db.types import utcnow
from tests.advisor.conftest import SCENARIO


def ask(db, actor, text=SCENARIO, scope="both", constraints=None):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return records.ask(session, actor, text, scope, constraints)


def execute(db, asked) -> dict[str, records.RunView]:  # type: ignore[no-untyped-def]
    for run_id in asked.run_ids.values():
        execute_one(db, "advisor", run_id)
    with db.transaction() as session:
        return {r.provider: r for r in records.show(session, _admin(session), asked.query_id).runs}


def _admin(session):  # type: ignore[no-untyped-def]
    from core.platform.access import Actor
    from db.models import User
    user = session.scalars(select(User).where(User.role == "admin")).first()
    if user is None:
        import uuid
        return Actor(uuid.uuid4(), "root@example.com", "root", "admin")
    return Actor(user.id, user.email, user.name, user.role)


def test_the_scenario_is_accepted_for_both_providers_after_one_refinement(db, analyst, docs) -> None:
    runs = execute(db, ask(db, analyst))
    for provider, run in runs.items():
        assert (run.status, run.terminal_reason, run.accepted) == ("accepted", "accepted", True)
        assert run.iteration_count == 1 and [i.iteration for i in run.iterations] == [0, 1]
        first, final = run.iterations
        # The cost-first design fails availability; the feedback raises the database's SLA.
        assert any(f.check == "availability" and f.outcome == "fail" for f in first.findings)
        assert "database" in first.feedback["target_domains"]
        assert first.changed["database"] == "first proposal"
        assert "→" in final.changed["database"] and final.changed["compute"] == "unchanged"
        assert all(f.outcome != "fail" for f in final.findings)
        cited = [f for f in final.findings if f.evidence_required]
        assert cited and all(e.available and e.url.startswith(docs.base(provider))
                             for f in cited for e in f.evidence)
    aws = {f.check: f for f in runs["aws"].iterations[1].findings}
    assert "distribute the primary instance and reader instances" in \
        aws["availability"].evidence[0].excerpt
    assert "Multi\\-AZ" not in aws["standby"].evidence[0].excerpt  # Markdown escapes removed
    azure = {f.check: f for f in runs["azure"].iterations[1].findings}
    assert "99.99%" in azure["availability"].evidence[0].excerpt
    assert azure["budget"].outcome == "pass" and not azure["budget"].evidence_required


def test_the_workflow_graph_and_events_follow_the_run(db, analyst, docs) -> None:
    asked = ask(db, analyst, scope="aws")
    execute(db, asked)
    ref = timeline.WorkflowRef.advisor(asked.run_ids["aws"])
    with db.transaction() as session:
        graph = timeline.graph(session, ref).to_json()
        statuses = [getattr(e, "to", None) for e in timeline.events(session, ref, newest_first=False)]
    states = {n["id"]: n["state"] for n in graph["nodes"]}
    assert states["validator"] == "completed" and states["compute"] == "completed"
    assert [s for s in statuses if s] == ["queued", "generating", "validating", "optimizing",
                                          "generating", "validating", "accepted"]
    assert next(n for n in graph["nodes"] if n["id"] == "compute")["active_iteration"] == 1
    assert any(e["loop"] and e["source"] == "optimizer" for e in graph["edges"])


def test_a_documentation_page_that_is_down_stops_the_run_for_evidence(db, analyst, docs) -> None:
    docs.down.add("/Concepts.MultiAZSingleStandby.html")
    run = execute(db, ask(db, analyst, scope="aws"))["aws"]
    assert (run.status, run.terminal_reason) == ("stopped", "evidence_unavailable")
    assert len(run.iterations) == 1 and run.iterations[0].findings  # the iteration is kept
    missing = [e for f in run.iterations[0].findings for e in f.evidence if not e.available]
    assert missing and "404" in missing[0].excerpt
    assert "MultiAZSingleStandby" in run.error


def test_a_documentation_page_robots_txt_disallows_is_not_read(db, analyst, docs) -> None:
    docs.robots_txt = "User-agent: *\nDisallow: /aws/AmazonRDS/latest/UserGuide/Concepts.MultiAZSingleStandby.html\n"
    run = execute(db, ask(db, analyst, scope="aws"))["aws"]
    assert (run.status, run.terminal_reason) == ("stopped", "evidence_unavailable")
    missing = [e for f in run.iterations[0].findings for e in f.evidence if not e.available]
    assert missing and "robots.txt" in missing[0].excerpt, missing[0].excerpt
    assert not any(p.endswith("Concepts.MultiAZSingleStandby.html") for p in docs.requests)


def test_a_budget_that_cannot_be_met_stops_at_the_iteration_limit_keeping_every_iteration(
        db, analyst, docs) -> None:
    asked = ask(db, analyst, scope="azure", constraints={"budget_usd_month": 900})
    run = execute(db, asked)["azure"]
    assert (run.status, run.terminal_reason, run.iteration_count) == (
        "stopped", "iteration_limit", 3)
    assert [i.iteration for i in run.iterations] == [0, 1, 2, 3]
    assert any(f.check == "budget" and f.outcome == "fail" for f in run.iterations[3].findings)
    with db.transaction() as session:
        run_id = asked.run_ids["azure"]
        assert session.scalar(select(func.count()).select_from(RefinementFeedback).where(
            RefinementFeedback.provider_run_id == run_id)) == 3
        assert session.scalar(select(func.count()).select_from(DomainTask).where(
            DomainTask.provider_run_id == run_id)) == 16


def test_a_crash_fails_the_run_as_an_internal_error_not_a_domain_failure(
        db, analyst, docs, monkeypatch) -> None:
    from core.advisor import rules

    def broken_reducer(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        raise KeyError("zones")  # stands for a bug: nothing here can raise one on purpose

    monkeypatch.setattr(rules, "reduce", broken_reducer)
    run = execute(db, ask(db, analyst, scope="aws"))["aws"]
    assert (run.status, run.terminal_reason) == ("failed", None)
    assert run.error == "Unexpected KeyError: 'zones'"
    assert records.explain(run.terminal_reason, run.status).startswith(
        "Failed: an internal error stopped it")


def test_an_engine_a_provider_does_not_offer_is_a_domain_failure(db, analyst, docs) -> None:
    run = execute(db, ask(db, analyst, "an API on MySQL in the EU", scope="azure"))["azure"]
    assert (run.status, run.terminal_reason) == ("failed", "domain_failure")
    assert "mysql" in run.error
    with db.transaction() as session:
        task = session.scalar(select(DomainTask).where(DomainTask.domain == "database"))
        assert task.task_status == "failed" and "mysql" in task.failure_reason


def test_a_run_past_its_time_limit_stops_with_timeout(db, analyst, docs, monkeypatch) -> None:
    asked = ask(db, analyst, scope="aws")
    with db.transaction() as session:
        session.execute(update(ProviderRun).values(deadline_seconds=0))
    run = execute(db, asked)["aws"]
    assert (run.status, run.terminal_reason) == ("stopped", "timeout")


def test_cancel_stops_a_queued_run_at_once_and_a_working_one_at_its_next_step(
        db, analyst, docs) -> None:
    asked = ask(db, analyst)
    with db.transaction() as session:
        assert records.request_cancel(session, analyst, asked.run_ids["aws"]) is True
        session.execute(update(ProviderRun).where(ProviderRun.id == asked.run_ids["azure"])
                        .values(status="generating", cancel_requested=True))
    runs = execute(db, asked)
    assert (runs["aws"].status, runs["aws"].terminal_reason) == ("stopped", "canceled")
    # The azure row was not queued, so no worker claims it; stop it as its worker would.
    assert runs["azure"].status == "generating"
    from core.advisor.runner import execute as work
    assert work(db, asked.run_ids["azure"]) == "stopped"
    with db.transaction() as session:
        assert session.get(ProviderRun, asked.run_ids["azure"]).terminal_reason == "canceled"
        with pytest.raises(Exception, match="already stopped"):
            records.request_cancel(session, analyst, asked.run_ids["aws"])


def test_serve_claims_queued_runs_and_the_reaper_fails_a_dead_workers_run(
        db, analyst, docs) -> None:
    asked = ask(db, analyst)
    assert serve_once(db, "test-worker") is True
    with db.transaction() as session:
        done = session.scalars(select(ProviderRun).where(ProviderRun.status == "accepted")).all()
        assert len(done) == 1 and done[0].worker_id == "test-worker"
        other = session.scalar(select(ProviderRun).where(ProviderRun.status == "queued"))
        other.status, other.heartbeat_at = "validating", utcnow() - timedelta(hours=1)
    with db.transaction() as session:
        assert reap_stale(session, utcnow()) == 1
        assert (other.id in asked.run_ids.values())
        row = session.get(ProviderRun, other.id)
        assert (row.status, row.terminal_reason) == ("failed", "worker_lost")


def test_nothing_is_half_written_when_a_query_is_refused(db, analyst, docs) -> None:
    with pytest.raises(Exception, match="empty"):
        ask(db, analyst, "   ")
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(ProviderRun)) == 0
        assert session.scalar(select(func.count()).select_from(DomainProposal)) == 0
        assert session.scalar(select(func.count()).select_from(ValidationFinding)) == 0
