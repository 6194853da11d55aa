"""One provider run, executed by a worker (``python -m core.worker advisor RUN_ID``, or claimed
from the queue by ``serve`` with ``EXECUTOR=queue``): the supervisor hands the query to the four
domain generators, the reducer combines their proposals, the validator checks the design and
fetches its evidence, and the optimizer sends feedback for another iteration, at most three
times. With a model, each of these nodes asks it first (``model``); the rules judge its answers
(a model finding stays only when its cited page states it). Each step commits on its own, so a page shows the run as it goes and a run that stops
keeps every iteration it made. Between steps the worker reads ``cancel_requested`` and the time
limit (``deadline_seconds`` from the start: ``timeout``); a heartbeat thread beats meanwhile and
``reap_stale`` fails the runs of a dead worker.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import timeline
from core.advisor import evidence, model, records, rules
from core.advisor.records import ACTIVE, move
from core.platform.database import Database
from core.platform.work import WorkKind, WorkName, claim_by_id, claim_oldest, heartbeat, stale
from db.models.advisor import (
    ArchitectureQuery, Domain, FindingDomain, Outcome, ProviderRun, RunStatus, Severity,
    TerminalReason,
)
from db.types import utcnow


class _Stop(Exception):
    def __init__(self, status: RunStatus, reason: TerminalReason | None, error: str,
                 node: str | None = None) -> None:
        super().__init__(error)
        self.status, self.reason, self.error, self.node = status, reason, error, node


def claim(session: Session, run_id: uuid.UUID, worker: str) -> bool:
    won = claim_by_id(session, ProviderRun, run_id, worker,
                      [ProviderRun.status == RunStatus.QUEUED], started_at=True)
    if won:
        timeline.record(session, timeline.WorkflowRef.advisor(run_id), timeline.Handoff(
            target=timeline.HandoffTarget.WORKER, worker=worker))
    return won


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    return claim_oldest(session, worker, ProviderRun, [ProviderRun.status == RunStatus.QUEUED],
                        ProviderRun.created_at, claim)


def reap_stale(session: Session, now: datetime) -> int:
    working = [s.value for s in ACTIVE if s != RunStatus.QUEUED]
    runs = list(session.scalars(select(ProviderRun).where(
        ProviderRun.status.in_(working), stale(ProviderRun, now)).with_for_update()))
    for run in runs:
        move(session, run, RunStatus.FAILED, reason=TerminalReason.WORKER_LOST,
             error="Its worker stopped responding.")
    return len(runs)


def _checkpoint(session: Session, run: ProviderRun) -> None:
    """Stop here when asked to, or past the time limit."""
    if run.cancel_requested:
        raise _Stop(RunStatus.STOPPED, TerminalReason.CANCELED, "Canceled.")
    started = run.started_at or run.created_at
    if utcnow() - started > timedelta(seconds=run.deadline_seconds):
        raise _Stop(RunStatus.STOPPED, TerminalReason.TIMEOUT,
                    f"Past the time limit of {run.deadline_seconds:g} seconds.")


def _end(session: Session, run: ProviderRun, stop: _Stop) -> None:
    """End the run in this transaction (what it made so far is kept with it)."""
    move(session, run, stop.status, reason=stop.reason, error=stop.error, node=stop.node)


def _propose(session: Session, run: ProviderRun, domain: Domain, c: records.q.Constraints,
             need: dict[str, Any], pick: model.Pick | None) -> rules.Proposal:
    """The model's pick when it gave a valid one, else the rule-based proposal (saying why)."""
    if pick is not None:
        timeline.record(session, timeline.WorkflowRef.advisor(run.id), timeline.Handoff(
            node=domain.value, target=timeline.HandoffTarget.MODEL,
            extra={"service": pick.service, "refused": pick.refused, "tokens": pick.tokens,
                   "repaired": pick.repaired}))
    if pick is not None and pick.service is not None:
        feasible, excluded = rules.options(run.provider, domain, c, need)
        option = next((o for o in feasible if o[0]["id"] == pick.service), None)
        if option is not None:
            repaired = " (after one repair)" if pick.repaired else ""
            return rules.proposal_of(run.provider, domain, c, need, option,
                                     f"{option[0]['name']} (the model's choice{repaired}): "
                                     f"{pick.rationale}", excluded)
    proposal = rules.generate(run.provider, domain, c, need)
    if pick is not None and pick.refused:
        return rules.Proposal(proposal.domain, proposal.content,
                              f"The model's answer was refused ({pick.refused}); rule-based: "
                              + proposal.rationale, proposal.dependencies)
    return proposal


def _picks(asker: model.Asker, text: str, c: records.q.Constraints,
           need: dict[str, dict[str, Any]]) -> dict[Domain, model.Pick]:
    """Each generator's question to the model (no transaction open); empty without a model."""
    out: dict[Domain, model.Pick] = {}
    for domain in Domain:
        found = model.pick(asker, domain, text, c, need.get(domain.value, {}))
        if found is not None:
            out[domain] = found
    return out


def _generate(session: Session, run: ProviderRun, c: records.q.Constraints,
              picks: dict[Domain, model.Pick]) -> rules.Reduction | None:
    move(session, run, RunStatus.GENERATING, node="supervisor")
    need = rules.requirements(records.feedback_so_far(session, run.id))
    proposals: dict[Domain, rules.Proposal] = {}
    for domain in Domain:
        task = records.start_task(session, run, domain)
        try:
            proposal = _propose(session, run, domain, c, need.get(domain.value, {}),
                                picks.get(domain))
        except rules.DomainFailure as exc:
            records.finish_task(task, str(exc))
            _end(session, run, _Stop(RunStatus.FAILED, TerminalReason.DOMAIN_FAILURE,
                                     str(exc), node=domain.value))
            return None
        records.add_proposal(session, run, proposal)
        records.finish_task(task)
        proposals[domain] = proposal
    reduction = rules.reduce(run.provider, proposals, c)
    records.add_architecture(session, run, reduction.design, reduction.assumptions,
                             reduction.coherent)
    move(session, run, RunStatus.VALIDATING, node="reducer")
    return reduction


def _judge(provider: str, review: model.Review | None,
           pages: dict[str, evidence.Page]) -> tuple[list[tuple[rules.Finding, evidence.Evidence]],
                                                     rules.Finding | None]:
    """The model's claims its cited page supports (with that evidence), and one ``warn``
    finding saying what became of its review (kept, dropped and why, or refused)."""
    if review is None:
        return [], None
    if review.refused:
        return [], rules.Finding(
            FindingDomain.CROSS_DOMAIN, "model_review", Outcome.WARN, Severity.LOW,
            f"The model's review was not used ({review.refused}); the rule-based checks "
            "decide.")
    kept: list[tuple[rules.Finding, evidence.Evidence]] = []
    dropped: list[str] = []
    for claim in review.claims:
        url = claim.doc.url(provider)
        ev = evidence.evidence_for(claim.doc, url, pages.get(url))
        if ev.available:
            kept.append((claim.finding, ev))
        else:
            dropped.append(f"{claim.finding.check} ({claim.finding.outcome}): {ev.excerpt}")
    summary = (f"The model proposed {len(review.claims)} finding(s)"
               + (" (after one repair)" if review.repaired else "")
               + f"; {len(kept)} kept, each because its cited page states it")
    if dropped:
        summary += f"; {len(dropped)} dropped: " + " | ".join(dropped)
    return kept, rules.Finding(FindingDomain.CROSS_DOMAIN, "model_review", Outcome.WARN,
                               Severity.LOW, summary[:4000] + ".")


def _validate(database: Database, run_id: uuid.UUID, c: records.q.Constraints,
              reduction: rules.Reduction, asker: model.Asker, text: str) -> None:
    with database.transaction() as session:
        run = _locked(session, run_id)
        findings = reduction.findings + rules.validate(run.provider, reduction.design, c)
        provider, iteration = run.provider, run.iteration_count
    # The model (if any) is asked with no transaction open; its findings are judged below.
    review = model.review(asker, text, c, reduction.design, findings)
    claimed = [cl.doc.url(provider) for cl in review.claims] if review else []
    urls = sorted({f.doc.url(provider) for f in findings if f.doc} | set(claimed))
    pages = evidence.fetch_pages(urls)
    ruled = [(f, evidence.evidence_for(f.doc, f.doc.url(provider), pages.get(f.doc.url(provider)))
              if f.doc else None) for f in findings]
    kept, summary = _judge(provider, review, pages)
    everything: list[tuple[rules.Finding, evidence.Evidence | None]] = [*ruled, *kept]
    if summary is not None:
        everything.append((summary, None))
    unavailable = [f"{ev.url}: {ev.excerpt}" for _f, ev in ruled if ev and not ev.available]
    failing = [f for f, _ev in everything if f.outcome == Outcome.FAIL]
    advice: model.Advice | None = None
    if not unavailable and failing and iteration < records.MAX_ITERATION:
        advice = model.optimize(asker, text, [f for f, _ev in everything],
                                rules.optimize([f for f, _ev in everything]))
    with database.transaction() as session:
        run = _locked(session, run_id)
        ref = timeline.WorkflowRef.advisor(run.id)
        if review is not None:
            timeline.record(session, ref, timeline.Handoff(
                node="validator", target=timeline.HandoffTarget.MODEL,
                extra={"proposed": len(review.claims), "kept": len(kept),
                       "refused": review.refused, "repaired": review.repaired}))
        timeline.record_many(session, ref, [
            timeline.PageFetched(node="validator", url=p.url, status=p.status, bytes=p.n_bytes,
                                 seconds=round(p.seconds, 3)) if p.ok else
            timeline.Failure(node="validator", url=p.url, status=p.status, error=p.error)
            for p in pages.values()])
        for finding, ev in everything:
            row = records.add_finding(session, run, finding)
            if ev is not None:
                records.add_evidence(session, run, row, provider=provider, url=ev.url,
                                     title=ev.title, excerpt=ev.excerpt, available=ev.available,
                                     retrieved_at=ev.retrieved_at)
        if unavailable:
            _end(session, run, _Stop(RunStatus.STOPPED, TerminalReason.EVIDENCE_UNAVAILABLE,
                                     "Evidence unavailable: " + " | ".join(unavailable)[:2000],
                                     node="validator"))
            return
        if not failing:
            move(session, run, RunStatus.ACCEPTED, node="validator")
            return
        if run.iteration_count >= records.MAX_ITERATION:
            _end(session, run, _Stop(
                RunStatus.STOPPED, TerminalReason.ITERATION_LIMIT,
                f"{len(failing)} check(s) still fail after {records.MAX_ITERATION} "
                "refinements.", node="validator"))
            return
        feedback = advice.feedback if advice is not None else rules.optimize(
            [f for f, _ev in everything])
        if advice is not None:
            timeline.record(session, ref, timeline.Handoff(
                node="optimizer", target=timeline.HandoffTarget.MODEL,
                extra={"refused": advice.refused, "targets": feedback.target_domains}))
        records.add_feedback(session, run, feedback)
        move(session, run, RunStatus.OPTIMIZING, node="optimizer")


def _locked(session: Session, run_id: uuid.UUID) -> ProviderRun:
    run = session.get(ProviderRun, run_id, with_for_update=True, populate_existing=True)
    assert run is not None
    return run


def _stop(database: Database, run_id: uuid.UUID, stop: _Stop) -> None:
    with database.transaction() as session:
        run = _locked(session, run_id)
        if run.status in ACTIVE:
            _end(session, run, stop)


def execute(database: Database, run_id: uuid.UUID) -> str:
    """Work on one claimed run until it is accepted, stopped or failed."""
    with database.transaction() as session:
        run = _locked(session, run_id)
        query_row = session.get(ArchitectureQuery, run.query_id)
        assert query_row is not None
        c = records.constraints_of(query_row)
        owner, text, provider = query_row.owner_id, query_row.raw_text, run.provider
    with heartbeat(database, ProviderRun, run_id,
                   ProviderRun.status.in_([s.value for s in ACTIVE])):
        try:
            while True:
                with database.transaction() as session:
                    run = _locked(session, run_id)
                    if run.status not in ACTIVE:
                        return run.status
                    _checkpoint(session, run)
                    need = rules.requirements(records.feedback_so_far(session, run_id))
                # The model (if the owner has one) is asked with no transaction open; one that
                # cannot be reached is not asked again in this iteration.
                asker = model.Asker(database, owner, run_id, provider)
                picks = _picks(asker, text, c, need)
                with database.transaction() as session:
                    run = _locked(session, run_id)
                    _checkpoint(session, run)
                    reduction = _generate(session, run, c, picks)
                if reduction is None:
                    break
                with database.transaction() as session:
                    _checkpoint(session, _locked(session, run_id))
                _validate(database, run_id, c, reduction, asker, text)
        except _Stop as stop:
            _stop(database, run_id, stop)
        except Exception as exc:  # noqa: BLE001 - a run never dies without saying why
            # Not a reason of the seed's: a crash is no "domain failure" (which says that no
            # service can serve a domain); the run fails with no reason and the error says why.
            _stop(database, run_id, _Stop(RunStatus.FAILED, None,
                                          f"Unexpected {type(exc).__name__}: {str(exc)[:300]}"))
    with database.transaction() as session:
        return _locked(session, run_id).status


WORK = WorkKind(WorkName.ADVISOR, execute=execute, claim=claim, claim_next=claim_next,
                reap_stale=reap_stale)
