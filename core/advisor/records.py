"""The advisor's records and the seed's guards, enforced here (every write goes through these
functions; the database's check constraints back the single-row rules).

Transitions of a provider run (``move``): queued → generating → validating → accepted |
optimizing → generating (next iteration) …; validating → stopped (iteration limit, evidence
unavailable); any active status → stopped (timeout, canceled) or failed (domain failure). Guards:

- accepted only when no finding of the iteration fails and every finding that needs evidence has
  evidence that is available;
- optimizing only while ``iteration_count`` < 3, and only with RefinementFeedback for this
  iteration already written;
- a run's provider never changes after creation; evidence's provider is its run's;
- one active DomainTask per (run, domain, iteration); a failing finding has a remediation.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from core import ledger, timeline
from core.advisor import query as q
from core.advisor.rules import Feedback, Finding, Proposal
from core.platform.access import Actor, require_change, require_read
from core.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.platform.settings import get_settings
from core.platform.work import WorkName, spawn_after_commit
from db.models.advisor import (
    ACTIVE_TASK_STATUSES, FINAL_STATUSES, MAX_ITERATION, ArchitectureProposal,
    ArchitectureQuery, Availability, Domain, DomainProposal, DomainTask, EvidenceReference,
    Outcome, Priority, ProviderRun, RefinementFeedback, RunStatus, SynthesisStatus, TaskStatus,
    TerminalReason, ValidationFinding,
)
from db.types import utcnow

ACTIVE = (RunStatus.QUEUED, RunStatus.GENERATING, RunStatus.VALIDATING, RunStatus.OPTIMIZING)
ALLOWED = {
    RunStatus.QUEUED: {RunStatus.GENERATING, RunStatus.STOPPED, RunStatus.FAILED},
    RunStatus.GENERATING: {RunStatus.VALIDATING, RunStatus.STOPPED, RunStatus.FAILED},
    RunStatus.VALIDATING: {RunStatus.ACCEPTED, RunStatus.OPTIMIZING, RunStatus.STOPPED,
                           RunStatus.FAILED},
    RunStatus.OPTIMIZING: {RunStatus.GENERATING, RunStatus.STOPPED, RunStatus.FAILED},
}


@event.listens_for(ProviderRun.provider, "set")
def _provider_is_fixed(target: ProviderRun, value: str, old: Any, _initiator: Any) -> None:
    """A run's provider is set once, when it is created."""
    if isinstance(old, str) and value != old:
        raise Conflict(f"A provider run's provider is fixed: it stays {old}.")


# --- asking ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Asked:
    query_id: uuid.UUID
    run_ids: dict[str, uuid.UUID]  # provider → run


def ask(session: Session, actor: Actor, text: str, scope: str,
        constraints_json: str | dict[str, Any] | None = None,
        priority: str | None = None) -> Asked:
    """Record the query and one queued run per provider (a worker for each once committed)."""
    if not actor.can_write:
        raise PermissionDenied("Viewers have read-only access; ask an admin for the analyst role.")
    given = constraints_json if isinstance(constraints_json, dict) \
        else q.parse_constraints_json(constraints_json)
    provider_scope = q.parse_scope(scope)
    preferences = {"priority": parse_priority(priority).value}
    constraints = q.build(text, given)
    row = ArchitectureQuery(owner_id=actor.id, raw_text=text.strip(),
                            provider_scope=provider_scope.value,
                            constraints={"given": given, "read": constraints.to_json()},
                            optimization_preferences=preferences)
    session.add(row)
    session.flush()
    runs: dict[str, uuid.UUID] = {}
    for provider in q.providers_of(provider_scope):
        run = ProviderRun(query_id=row.id, provider=provider.value, status=RunStatus.QUEUED,
                          iteration_count=0, accepted=False, cancel_requested=False,
                          deadline_seconds=get_settings().advisor_run_timeout_seconds)
        session.add(run)
        session.flush()
        timeline.record(session, timeline.WorkflowRef.advisor(run.id),
                        timeline.StateTransition(to=RunStatus.QUEUED, trigger="manual",
                                                 by=actor.email, iteration=0))
        spawn_after_commit(session, WorkName.ADVISOR, run.id)
        runs[provider.value] = run.id
    return Asked(row.id, runs)


def constraints_of(query_row: ArchitectureQuery) -> q.Constraints:
    """The constraints as read, with the query's optimisation preference for the rules."""
    return q.Constraints.from_json({**(query_row.constraints or {})["read"],
                                    "priority": priority_of(query_row)})


def priority_of(query_row: ArchitectureQuery) -> Priority:
    return Priority((query_row.optimization_preferences or {}).get("priority") or Priority.COST)


def parse_priority(text: str | None) -> Priority:
    try:
        return Priority((text or Priority.COST).strip().lower())
    except ValueError:
        raise ValidationError(f"Optimise for {' or '.join(Priority)}; got '{str(text)[:20]}'."
                              ) from None


# --- transitions and guards --------------------------------------------------------------------

def move(session: Session, run: ProviderRun, to: RunStatus, *,
         reason: TerminalReason | None = None, error: str | None = None,
         node: str | None = None) -> None:
    """Move ``run`` to ``to`` when the seed allows it, and write the event."""
    now_status = RunStatus(run.status)
    if to not in ALLOWED.get(now_status, set()):
        raise Conflict(f"A provider run cannot go from {now_status} to {to}.")
    ref = timeline.WorkflowRef.advisor(run.id)
    if to == RunStatus.ACCEPTED:
        problems = acceptance_problems(session, run)
        if problems:
            raise Conflict("The design cannot be accepted: " + "; ".join(problems))
    if to == RunStatus.OPTIMIZING:
        if run.iteration_count >= MAX_ITERATION:
            raise Conflict(f"No more refinements: iteration {run.iteration_count} is the "
                           f"last ({MAX_ITERATION}).")
        if session.scalar(select(RefinementFeedback.id).where(
                RefinementFeedback.provider_run_id == run.id,
                RefinementFeedback.iteration_from == run.iteration_count)) is None:
            raise Conflict("Refinement feedback must be written before the run optimizes.")
    if to == RunStatus.GENERATING and now_status == RunStatus.OPTIMIZING:
        run.iteration_count += 1
    run.status = to.value
    if to in FINAL_STATUSES:
        run.terminal_reason = (reason or (TerminalReason.ACCEPTED if to == RunStatus.ACCEPTED
                                          else None))
        run.accepted = to == RunStatus.ACCEPTED
        run.completed_at = utcnow()
        run.error = error
        if to == RunStatus.ACCEPTED:
            timeline.record(session, ref, timeline.Completion(
                to=to.value, node=node, extra={"terminal_reason": "accepted"}))
        elif to == RunStatus.FAILED or reason == TerminalReason.EVIDENCE_UNAVAILABLE:
            timeline.record(session, ref, timeline.Failure(
                to=to.value, node=node, error=error, reason=str(reason) if reason else None))
        else:
            timeline.record(session, ref, timeline.StateTransition(
                to=to.value, node=node, iteration=run.iteration_count,
                extra={"terminal_reason": str(reason) if reason else None}))
        return
    timeline.record(session, ref, timeline.StateTransition(
        to=to.value, node=node, iteration=run.iteration_count))


def acceptance_problems(session: Session, run: ProviderRun) -> list[str]:
    findings = list(session.scalars(select(ValidationFinding).where(
        ValidationFinding.provider_run_id == run.id,
        ValidationFinding.iteration == run.iteration_count)))
    if not findings:
        return ["the iteration has no validation findings"]
    problems = [f"{f.check} fails" for f in findings if f.outcome == Outcome.FAIL]
    for f in findings:
        if not f.evidence_required or f.outcome == Outcome.WARN:
            continue
        states = list(session.scalars(select(EvidenceReference.availability_status).where(
            EvidenceReference.finding_id == f.id)))
        if not states or any(s != Availability.AVAILABLE for s in states):
            problems.append(f"{f.check} has no available evidence")
    return problems


def start_task(session: Session, run: ProviderRun, domain: Domain) -> DomainTask:
    active = session.scalar(select(func.count()).select_from(DomainTask).where(
        DomainTask.provider_run_id == run.id, DomainTask.domain == domain.value,
        DomainTask.iteration == run.iteration_count,
        DomainTask.task_status.in_([s.value for s in ACTIVE_TASK_STATUSES])))
    if active:
        raise Conflict(f"The {domain} task of iteration {run.iteration_count} is already "
                       "active.")
    task = DomainTask(provider_run_id=run.id, domain=domain.value,
                      iteration=run.iteration_count, task_status=TaskStatus.RUNNING,
                      started_at=utcnow())
    session.add(task)
    session.flush()
    return task


def finish_task(task: DomainTask, failure: str | None = None) -> None:
    task.task_status = TaskStatus.FAILED if failure else TaskStatus.COMPLETED
    task.failure_reason, task.completed_at = failure, utcnow()


def add_proposal(session: Session, run: ProviderRun, proposal: Proposal) -> DomainProposal:
    row = DomainProposal(provider_run_id=run.id, domain=proposal.domain.value,
                         iteration=run.iteration_count, proposal_content=proposal.content,
                         rationale=proposal.rationale, dependencies=proposal.dependencies)
    session.add(row)
    return row


def add_architecture(session: Session, run: ProviderRun, design: dict[str, Any],
                     assumptions: dict[str, Any], coherent: bool) -> ArchitectureProposal:
    missing = design.get("missing") or []
    row = ArchitectureProposal(
        provider_run_id=run.id, iteration=run.iteration_count, combined_design=design,
        cross_domain_assumptions=assumptions, partial=bool(missing),
        synthesis_status=(SynthesisStatus.COHERENT if coherent else
                          SynthesisStatus.CONFLICT_DETECTED).value)
    session.add(row)
    return row


def add_finding(session: Session, run: ProviderRun, finding: Finding) -> ValidationFinding:
    if finding.outcome == Outcome.FAIL and not (finding.remediation or "").strip():
        raise Conflict(f"The failing finding {finding.check!r} needs a remediation.")
    row = ValidationFinding(provider_run_id=run.id, iteration=run.iteration_count,
                            domain=finding.domain.value, check=finding.check,
                            outcome=finding.outcome.value, severity=finding.severity.value,
                            reason=finding.reason, remediation=finding.remediation,
                            evidence_required=finding.evidence_required)
    session.add(row)
    session.flush()
    return row


def add_evidence(session: Session, run: ProviderRun, finding: ValidationFinding, *,
                 provider: str, url: str, title: str, excerpt: str, available: bool,
                 retrieved_at: datetime | None = None) -> EvidenceReference:
    if provider != run.provider:
        raise Conflict(f"Evidence from {provider} cannot back a finding of a {run.provider} run.")
    if finding.provider_run_id != run.id:
        raise Conflict("That finding belongs to another run.")
    row = EvidenceReference(finding_id=finding.id, provider=provider, source_uri=url,
                            title=title, excerpt=excerpt, retrieved_at=retrieved_at or utcnow(),
                            availability_status=(Availability.AVAILABLE if available
                                                 else Availability.UNAVAILABLE).value)
    session.add(row)
    return row


def add_feedback(session: Session, run: ProviderRun, feedback: Feedback) -> RefinementFeedback:
    if not feedback.target_domains or not feedback.instructions.strip():
        raise Conflict("Refinement feedback needs target domains and instructions.")
    row = RefinementFeedback(provider_run_id=run.id, iteration_from=run.iteration_count,
                             target_domains=feedback.target_domains,
                             instructions=feedback.instructions,
                             blocking_issues=feedback.blocking_issues)
    session.add(row)
    session.flush()
    return row


def feedback_so_far(session: Session, run_id: uuid.UUID) -> list[list[dict[str, Any]]]:
    return [list(r.blocking_issues or []) for r in session.scalars(
        select(RefinementFeedback).where(RefinementFeedback.provider_run_id == run_id)
        .order_by(RefinementFeedback.iteration_from))]


def request_cancel(session: Session, actor: Actor, run_id: uuid.UUID) -> bool:
    """A queued run stops at once (True); a working one at its next step (False)."""
    run = session.get(ProviderRun, run_id, with_for_update=True)
    if run is None:
        raise NotFound("No such advisor run.")
    query_row = session.get(ArchitectureQuery, run.query_id)
    assert query_row is not None
    require_change(actor, query_row.owner_id, "advisor run")
    if run.status not in ACTIVE:
        raise Conflict(f"This advisor run is already {run.status}.")
    run.cancel_requested = True
    timeline.record(session, timeline.WorkflowRef.advisor(run.id), timeline.Handoff(
        target=timeline.HandoffTarget.WORKER, by=actor.email, request="cancel"))
    if run.status == RunStatus.QUEUED:
        move(session, run, RunStatus.STOPPED, reason=TerminalReason.CANCELED,
             error="Canceled before a worker took it.")
        return True
    return False


# --- reading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvidenceView:
    url: str
    title: str
    excerpt: str
    retrieved_at: datetime
    available: bool


@dataclass(frozen=True)
class FindingView:
    iteration: int
    domain: str
    check: str
    outcome: str
    severity: str
    reason: str
    remediation: str | None
    evidence_required: bool
    evidence: list[EvidenceView]


@dataclass(frozen=True)
class IterationView:
    iteration: int
    proposals: dict[str, dict[str, Any]]  # domain → {content, rationale}
    design: dict[str, Any] | None
    synthesis_status: str | None
    findings: list[FindingView]
    feedback: dict[str, Any] | None
    changed: dict[str, str]  # domain → what changed since the previous iteration


@dataclass(frozen=True)
class RunView:
    id: uuid.UUID
    provider: str
    status: str
    iteration_count: int
    accepted: bool
    terminal_reason: str | None
    error: str | None
    started_at: datetime | None
    completed_at: datetime | None
    worker_id: str | None = None
    iterations: list[IterationView] = field(default_factory=list)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass(frozen=True)
class QueryView:
    id: uuid.UUID
    text: str
    scope: str
    constraints: dict[str, Any]
    created_at: datetime
    runs: list[RunView]
    priority: Priority = Priority.COST

    @property
    def active(self) -> bool:
        return any(r.active for r in self.runs)


@dataclass(frozen=True)
class QuerySummary:
    id: uuid.UUID
    text: str
    scope: str
    created_at: datetime
    statuses: dict[str, str]


REASONS = {
    "accepted": "Accepted: every required check passes and each is backed by an official page.",
    "iteration_limit": "Stopped: checks still fail after three refinements.",
    "evidence_unavailable": "Stopped: an official page that a finding cites could not be "
                            "fetched or does not state the fact, so the design cannot be "
                            "accepted on evidence.",
    "domain_failure": "Failed: no service of the catalogue can serve one of the domains.",
    "timeout": "Stopped: the run went past its time limit.",
    "canceled": "Stopped: canceled by a person.",
    "worker_lost": "Failed: its worker stopped responding.",
}


def explain(reason: str | None, status: str | None = None) -> str:
    """What a run's end means, in words (``status`` tells a crash, which has no reason of the
    seed's, from a run still working)."""
    if not reason:
        return ("Failed: an internal error stopped it; the detail says which."
                if status == RunStatus.FAILED else "Still working.")
    return REASONS.get(reason, reason)


def _changes(before: dict[str, Any] | None, after: dict[str, Any]) -> str:
    if before is None:
        return "first proposal"
    if before.get("service") != after.get("service"):
        return f"{before.get('name')} → {after.get('name')}"
    if before.get("units") != after.get("units"):
        return f"{before.get('units')} → {after.get('units')} units"
    return "unchanged"


def _run_view(session: Session, run: ProviderRun) -> RunView:
    proposals = list(session.scalars(select(DomainProposal).where(
        DomainProposal.provider_run_id == run.id).order_by(DomainProposal.iteration)))
    archs = {a.iteration: a for a in session.scalars(select(ArchitectureProposal).where(
        ArchitectureProposal.provider_run_id == run.id))}
    findings = list(session.scalars(select(ValidationFinding).where(
        ValidationFinding.provider_run_id == run.id).order_by(ValidationFinding.created_at)))
    evidence: dict[uuid.UUID, list[EvidenceView]] = {}
    if findings:
        for e in session.scalars(select(EvidenceReference).where(
                EvidenceReference.finding_id.in_([f.id for f in findings]))):
            evidence.setdefault(e.finding_id, []).append(EvidenceView(
                e.source_uri, e.title, e.excerpt, e.retrieved_at,
                e.availability_status == Availability.AVAILABLE))
    feedback = {f.iteration_from: f for f in session.scalars(select(RefinementFeedback).where(
        RefinementFeedback.provider_run_id == run.id))}
    iterations: list[IterationView] = []
    previous: dict[str, dict[str, Any]] = {}
    for it in sorted({p.iteration for p in proposals} | set(archs)):
        mine: dict[str, dict[str, Any]] = {
            p.domain: {"content": p.proposal_content, "rationale": p.rationale}
            for p in proposals if p.iteration == it}
        changed = {d: _changes(previous.get(d), v["content"]) for d, v in mine.items()}
        previous.update({d: v["content"] for d, v in mine.items()})
        fb = feedback.get(it)
        iterations.append(IterationView(
            it, mine, archs[it].combined_design if it in archs else None,
            archs[it].synthesis_status if it in archs else None,
            [FindingView(f.iteration, f.domain, f.check, f.outcome, f.severity, f.reason,
                         f.remediation, f.evidence_required, evidence.get(f.id, []))
             for f in findings if f.iteration == it],
            {"target_domains": fb.target_domains, "instructions": fb.instructions}
            if fb else None, changed))
    return RunView(run.id, run.provider, run.status, run.iteration_count, run.accepted,
                   run.terminal_reason, run.error, run.started_at, run.completed_at, run.worker_id,
                   iterations)


def _readable_query(session: Session, actor: Actor, query_id: uuid.UUID) -> ArchitectureQuery:
    row = session.get(ArchitectureQuery, query_id)
    if row is None:
        raise NotFound("No such advisor query.")
    require_read(actor, row.owner_id, False, "advisor query")
    return row


def show(session: Session, actor: Actor, any_id: uuid.UUID) -> QueryView:
    """A query with its runs (``any_id``: the query's id or one of its runs')."""
    run = session.get(ProviderRun, any_id)
    return view_of(session, _readable_query(session, actor, run.query_id if run else any_id))


def view_of(session: Session, row: ArchitectureQuery) -> QueryView:
    """A query with its runs, with no access check (the caller made it, or is a worker)."""
    runs = session.scalars(select(ProviderRun).where(ProviderRun.query_id == row.id)
                           .order_by(ProviderRun.provider))
    return QueryView(row.id, row.raw_text, row.provider_scope, dict(row.constraints or {}),
                     row.created_at, [_run_view(session, r) for r in runs], priority_of(row))


def recent(session: Session, actor: Actor, limit: int = 20) -> list[QuerySummary]:
    stmt = select(ArchitectureQuery).order_by(ArchitectureQuery.created_at.desc()).limit(limit)
    if not actor.is_admin:
        stmt = stmt.where(ArchitectureQuery.owner_id == actor.id)
    out = []
    for row in session.scalars(stmt):
        statuses = {r.provider: r.status for r in session.scalars(
            select(ProviderRun).where(ProviderRun.query_id == row.id))}
        out.append(QuerySummary(row.id, row.raw_text, row.provider_scope, row.created_at,
                                statuses))
    return out


@dataclass(frozen=True)
class NodeCost:
    """What one node of a provider run spent on the model (from the ledger)."""

    node: str
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal
    unpriced: int  # ledger rows with no price (unpriced, not free)

    @property
    def cost_text(self) -> str:
        """"$0.0123", or "no price" when a call's model has none (unpriced is not free)."""
        return "no price" if self.unpriced else f"${float(self.cost_usd):.4f}"


NODE_ORDER = ("compute", "storage", "network", "database", "validator", "optimizer")


def run_costs(session: Session, actor: Actor, run_id: uuid.UUID) -> list[NodeCost]:
    """The run's model costs per workflow node, in the graph's order (nodes that spent nothing
    left out)."""
    run = session.get(ProviderRun, run_id)
    if run is None:
        raise NotFound("No such advisor run.")
    _readable_query(session, actor, run.query_id)
    found: dict[str, dict[str, Any]] = {}
    for t in ledger.totals(session, ledger.Scope(advisor_run_id=run_id), by=ledger.Grouping.NODE):
        mine = found.setdefault(t.group or "?", {"input": 0, "output": 0, "cost": Decimal(0),
                                                 "unpriced": 0})
        if t.kind == ledger.CostKind.LLM_INPUT_TOKENS:
            mine["input"] += int(t.quantity)
        elif t.kind == ledger.CostKind.LLM_OUTPUT_TOKENS:
            mine["output"] += int(t.quantity)
        mine["cost"] += t.cost_usd
        mine["unpriced"] += t.unpriced
    order = {n: i for i, n in enumerate(NODE_ORDER)}
    return [NodeCost(n, v["input"], v["output"], v["cost"], v["unpriced"])
            for n, v in sorted(found.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))]


def run_graph(session: Session, actor: Actor, run_id: uuid.UUID) -> timeline.Graph:
    """The run's workflow graph (supervisor → generators → reducer → validator → optimizer, the
    loop with its iteration), coloured with its node states."""
    run = session.get(ProviderRun, run_id)
    if run is None:
        raise NotFound("No such advisor run.")
    _readable_query(session, actor, run.query_id)
    return timeline.graph(session, timeline.WorkflowRef.advisor(run.id))
