"""Seed 003's entities and rules: each guard refuses what it must, in the service layer (and the
database's check constraints back the single-row ones)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from core.advisor import records, rules
from core.advisor.catalogue import DocRef
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from db.models.advisor import (
    Domain, FindingDomain, Outcome, ProviderRun, RunStatus, Severity, ValidationFinding,
)
from tests.advisor.conftest import SCENARIO

DOC = DocRef("/x.html", "A page", ("word",))


@pytest.fixture
def run(db, analyst, docs):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        asked = records.ask(session, analyst, SCENARIO, "aws")
    return asked.run_ids["aws"]


def _finding(outcome=Outcome.PASS, remediation=None, doc=DOC):  # type: ignore[no-untyped-def]
    return rules.Finding(FindingDomain.DATABASE, "standby", outcome, Severity.HIGH, "why",
                         remediation, doc=doc)


def _validating(session, run_id=None):  # type: ignore[no-untyped-def]
    """A run in ``validating`` (a new one unless ``run_id``)."""
    if run_id is None:
        owner = session.get(ProviderRun, session.scalars(select(ProviderRun.id)).first())
        from db.models.advisor import ArchitectureQuery
        query_row = session.get(ArchitectureQuery, owner.query_id)
        row = ProviderRun(query_id=query_row.id, provider="azure", status="queued",
                          iteration_count=0, accepted=False, cancel_requested=False)
        session.add(row)
        session.flush()
    else:
        row = session.get(ProviderRun, run_id)
    records.move(session, row, RunStatus.GENERATING)
    records.move(session, row, RunStatus.VALIDATING)
    return row


def test_accepted_needs_passing_findings_with_available_evidence(db, run) -> None:
    with db.transaction() as session:
        row = _validating(session, run)
        with pytest.raises(Conflict, match="no validation findings"):
            records.move(session, row, RunStatus.ACCEPTED)
        finding = records.add_finding(session, row, _finding())
        with pytest.raises(Conflict, match="standby has no available evidence"):
            records.move(session, row, RunStatus.ACCEPTED)
        records.add_evidence(session, row, finding, provider="aws", url="u", title="t",
                             excerpt="e", available=False)
        with pytest.raises(Conflict, match="no available evidence"):
            records.move(session, row, RunStatus.ACCEPTED)
    with db.transaction() as session:
        row = _validating(session)
        finding = records.add_finding(session, row, _finding())
        records.add_evidence(session, row, finding, provider="azure", url="u", title="t",
                             excerpt="e", available=True)
        records.add_finding(session, row, _finding(Outcome.FAIL, "fix it", doc=None))
        with pytest.raises(Conflict, match="standby fails"):
            records.move(session, row, RunStatus.ACCEPTED)
    with db.transaction() as session:
        session.execute(delete(ProviderRun).where(ProviderRun.provider == "azure"))
        row = _validating(session)
        finding = records.add_finding(session, row, _finding())
        records.add_evidence(session, row, finding, provider="azure", url="u", title="t",
                             excerpt="e", available=True)
        records.add_finding(session, row, _finding(Outcome.WARN, doc=None))  # unchecked: no block
        records.move(session, row, RunStatus.ACCEPTED)
        assert (row.accepted, row.terminal_reason) == (True, "accepted")


def test_optimizing_needs_feedback_and_an_iteration_below_three(db, run) -> None:
    feedback = rules.Feedback(["database"], "database: add a standby", [])
    with db.transaction() as session:
        row = _validating(session, run)
        with pytest.raises(Conflict, match="feedback must be written"):
            records.move(session, row, RunStatus.OPTIMIZING)
        with pytest.raises(Conflict, match="target domains"):
            records.add_feedback(session, row, rules.Feedback([], "", []))
        for iteration in range(3):
            records.add_feedback(session, row, feedback)
            records.move(session, row, RunStatus.OPTIMIZING)
            records.move(session, row, RunStatus.GENERATING)
            assert row.iteration_count == iteration + 1
            records.move(session, row, RunStatus.VALIDATING)
        records.add_feedback(session, row, feedback)
        with pytest.raises(Conflict, match="No more refinements"):
            records.move(session, row, RunStatus.OPTIMIZING)


def test_transitions_outside_the_seed_are_refused(db, run) -> None:
    with db.transaction() as session:
        row = session.get(ProviderRun, run)
        with pytest.raises(Conflict, match="from queued to accepted"):
            records.move(session, row, RunStatus.ACCEPTED)
        records.move(session, row, RunStatus.GENERATING)
        with pytest.raises(Conflict, match="from generating to optimizing"):
            records.move(session, row, RunStatus.OPTIMIZING)
        records.move(session, row, RunStatus.FAILED)
        with pytest.raises(Conflict, match="from failed to generating"):
            records.move(session, row, RunStatus.GENERATING)


def test_the_provider_is_fixed_and_evidence_must_be_the_runs_provider(db, run) -> None:
    with db.transaction() as session:
        row = session.get(ProviderRun, run)
        with pytest.raises(Conflict, match="stays aws"):
            row.provider = "azure"
        row = _validating(session, run)
        finding = records.add_finding(session, row, _finding())
        with pytest.raises(Conflict, match="Evidence from azure"):
            records.add_evidence(session, row, finding, provider="azure", url="u", title="t",
                                 excerpt="e", available=True)


def test_one_active_domain_task_per_run_domain_and_iteration(db, run) -> None:
    with db.transaction() as session:
        row = session.get(ProviderRun, run)
        records.start_task(session, row, Domain.COMPUTE)
        with pytest.raises(Conflict, match="already active"):
            records.start_task(session, row, Domain.COMPUTE)
        records.start_task(session, row, Domain.STORAGE)  # another domain is fine


def test_a_failing_finding_needs_a_remediation_in_the_service_and_the_database(db, run) -> None:
    with db.transaction() as session:
        row = session.get(ProviderRun, run)
        with pytest.raises(Conflict, match="needs a remediation"):
            records.add_finding(session, row, _finding(Outcome.FAIL, "  "))
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.add(ValidationFinding(provider_run_id=run, iteration=0, domain="database",
                                          check="x", outcome="fail", severity="high",
                                          reason="why", remediation=None,
                                          evidence_required=False))
    with pytest.raises(IntegrityError):
        with db.transaction() as session:
            session.get(ProviderRun, run).iteration_count = 4


@pytest.mark.parametrize(("text", "scope", "constraints", "message"), [
    ("", "aws", None, "the text is empty"),
    ("an API", "gcp", None, "Unknown provider gcp"),
    ("an API", "aws", "{budget: 3}", "not JSON"),
    ("an API", "aws", "[1, 2]", "must be a JSON object"),
    ("an API", "both", '{"budget_usd_month": 0, "multi_region": true}',
     "cannot pay for a multi-region deployment"),
    ("an API", "aws", '{"availability": 120}', "availability must be a number"),
    ("an API", "aws", '{"engine": "oracle"}', "not one the catalogue knows"),
])
def test_bad_queries_are_refused_with_a_clear_message_and_nothing_written(
        db, analyst, docs, text, scope, constraints, message) -> None:
    with pytest.raises(ValidationError) as caught:
        with db.transaction() as session:
            records.ask(session, analyst, text, scope, constraints)
    assert message in str(caught.value)
    with db.transaction() as session:
        assert session.scalars(select(ProviderRun)).first() is None


def test_viewers_cannot_ask_and_others_cannot_read(db, analyst, make_user, docs) -> None:
    with pytest.raises(PermissionDenied):
        with db.transaction() as session:
            records.ask(session, make_user("viewer"), SCENARIO, "aws")
    with db.transaction() as session:
        asked = records.ask(session, analyst, SCENARIO, "aws")
    with pytest.raises(NotFound):  # another user's query is not even said to exist
        with db.transaction() as session:
            records.show(session, make_user("analyst"), asked.query_id)
