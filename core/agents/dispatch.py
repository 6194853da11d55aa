"""Dispatching one agent job (``python -m core.worker agent-job JOB_ID``): call the agent,
check what it answered, and accept it or send it back with the reasons.

One *attempt* is one submission of the job's input. Within an attempt a call that fails in
transport (no connection, a timeout, HTTP 429 or 5xx) is retried with backoff up to
``AGENT_MAX_RETRIES`` times. An answer is checked in this order: the agent's output schema and
the job's own (item by item when the output is a list of records: invalid records are dropped and
reported, the valid ones kept), then the acceptance criteria on the valid records. Accepted:
Completed. Otherwise the next attempt carries the reasons (HTTP header ``X-ScrapeDeck-Feedback``,
JSON), until ``max_attempts``: then Re-submission Required, with every attempt in the log.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from core import ledger
from core.agents import criteria as acceptance
from core.agents.builtin import BUILTINS, CallContext
from core.agents.http import Answer, post_json
from core.agents.jobs import claim, claim_next, reap_stale
from core.agents.schemas import item_schema, violations
from core.accounts.users import actor_of
from core.ledger import prices
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import NotFound, PermissionDenied, ScrapeDeckError, ValidationError
from core.platform.settings import get_settings
from core.platform.work import WorkKind, WorkName, heartbeat
from core.timeline import (Completion, Event, Failure, PageFetched, Retry, StateTransition,
                           ValidationResult, WorkflowRef, record)
from db.models.accounts import User
from db.models.agents import Agent, AgentJob, AgentJobLog, AgentJobStatus, AgentLogStatus
from db.types import utcnow

MAX_REASONS = 20


@dataclass
class Judgement:
    """What the checks made of one answer."""

    output: Any
    reasons: list[str] = field(default_factory=list)
    invalid_items: list[str] = field(default_factory=list)
    checks: list[acceptance.Check] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return not self.reasons

    def verdict(self) -> dict[str, Any]:
        return {"checks": [{"criterion": c.criterion.text, "outcome": c.outcome.value,
                            "detail": c.detail} for c in self.checks],
                "invalid_items": self.invalid_items[:MAX_REASONS]}


def execute_job(database: Database, job_id: uuid.UUID) -> str:
    with database.transaction() as session:
        job = session.get(AgentJob, job_id)
        if job is None or job.status != AgentJobStatus.IN_PROGRESS:
            return "not in progress"
        agent = session.get(Agent, job.assigned_agent_id)
        creator = session.get(User, job.created_by)
        plan = _Plan.of(job, agent, actor_of(creator) if creator else None)
    with heartbeat(database, AgentJob, job_id,
                   AgentJob.status == AgentJobStatus.IN_PROGRESS):
        status, note, result, verdict, attempts = _attempts(database, plan)
    with database.transaction() as session:
        job = session.get(AgentJob, job_id)
        if job is None or job.status != AgentJobStatus.IN_PROGRESS:
            return "taken over"  # the reaper judged this worker dead meanwhile
        job.status, job.note, job.result, job.verdict = status, note, result, verdict
        job.attempts, job.finished_at = attempts, utcnow()
        ending: Event = (Completion(node="accept", to=status)
                         if status == AgentJobStatus.COMPLETED
                         else StateTransition(node="resubmit", to=status,
                                              extra={"reason": note}))
        record(session, WorkflowRef.agent_job(job_id), ending)
    return status


@dataclass(frozen=True)
class _Plan:
    job_id: uuid.UUID
    user_id: uuid.UUID
    agent_id: uuid.UUID | None
    agent_name: str
    endpoint: str | None
    builtin: str | None
    input: dict[str, Any]
    agent_output_schema: dict[str, Any]
    job_output_schema: dict[str, Any] | None
    criteria: list[acceptance.Criterion]
    max_attempts: int
    actor: Actor | None

    @classmethod
    def of(cls, job: AgentJob, agent: Agent | None, actor: Actor | None) -> _Plan:
        return cls(job_id=job.id, user_id=job.created_by, agent_id=agent.id if agent else None,
                   agent_name=agent.name if agent else "(none)",
                   endpoint=agent.endpoint_url if agent else None,
                   builtin=agent.builtin if agent else None, input=job.input,
                   agent_output_schema=agent.output_schema if agent else {},
                   job_output_schema=job.output_schema,
                   criteria=acceptance.parse_criteria(job.acceptance_criteria),
                   max_attempts=job.max_attempts, actor=actor)


def _attempts(database: Database, plan: _Plan) -> tuple[AgentJobStatus, str, Any, Any, int]:
    reasons: list[str] = []
    last: Judgement | None = None
    for attempt in range(1, plan.max_attempts + 1):
        if attempt > 1:
            _event(database, plan, StateTransition(
                node="resubmit", to=AgentJobStatus.IN_PROGRESS.value, iteration=attempt,
                extra={"reasons": reasons[:MAX_REASONS]}))
        answer = _call_with_retries(database, plan, attempt, reasons)
        if answer.error is not None:
            reasons = [f"the agent did not answer: {answer.error}"]
            continue
        last = _judge(database, plan, answer.body)
        _log(database, plan, attempt, reasons, answer,
             AgentLogStatus.SUCCESS if last.accepted else AgentLogStatus.VALIDATION_ERROR,
             last.reasons)
        if last.accepted:
            note = f"Accepted on attempt {attempt} of {plan.max_attempts}."
            if any(c.outcome is acceptance.Outcome.NOT_CHECKED for c in last.checks):
                note += " Some criteria were not checked (no model to judge free text)."
            return (AgentJobStatus.COMPLETED, note, last.output, last.verdict(), attempt)
        reasons = last.reasons
    note = (f"Not accepted after {plan.max_attempts} attempts; the last one: "
            + "; ".join(reasons[:3]))
    return (AgentJobStatus.RESUBMISSION_REQUIRED, note, None,
            last.verdict() if last else None, plan.max_attempts)


def _call_with_retries(database: Database, plan: _Plan, attempt: int,
                       reasons: list[str]) -> Answer:
    settings = get_settings()
    wait = settings.agent_backoff_seconds
    for retry in range(settings.agent_max_retries + 1):
        answer = _call(database, plan, reasons)
        if answer.error is None:
            return answer
        _log(database, plan, attempt, reasons, answer, AgentLogStatus.FAILURE, [answer.error])
        if not answer.retryable or retry == settings.agent_max_retries:
            return answer
        _event(database, plan, Retry(node="call", url=plan.endpoint or f"builtin:{plan.builtin}",
                                     retries=retry + 1, extra={"attempt": attempt}))
        time.sleep(min(answer.retry_after if answer.retry_after is not None else wait, 30.0))
        wait *= 2
    return answer


def _call(database: Database, plan: _Plan, reasons: list[str]) -> Answer:
    problems = violations(_input_schema(plan), plan.input)
    if problems:
        return Answer(None, None, "the input does not match the agent's input schema: "
                      + "; ".join(str(p) for p in problems[:5]), 0.0, final=True)
    if plan.builtin:
        return _call_builtin(database, plan)
    feedback = {"X-ScrapeDeck-Feedback": json.dumps(reasons[:MAX_REASONS])} if reasons else None
    return post_json(plan.endpoint or "", plan.input, feedback)


def _input_schema(plan: _Plan) -> dict[str, Any]:
    if plan.builtin:
        return BUILTINS[plan.builtin].input_schema
    return {}  # an external agent's input was checked against its schema at assignment


def _call_builtin(database: Database, plan: _Plan) -> Answer:
    started = time.monotonic()
    if plan.actor is None:
        return Answer(None, None, "the job's creator no longer exists", 0.0, final=True)
    context = CallContext(database, plan.actor)
    try:
        body = BUILTINS[plan.builtin or ""].call(plan.input, context)
    except (ValidationError, NotFound, PermissionDenied) as exc:  # the same input fails again
        return Answer(None, None, str(exc), _ms(started), final=True)
    except ScrapeDeckError as exc:
        return Answer(None, None, str(exc), _ms(started))
    except Exception as exc:  # noqa: BLE001 - a built-in's failure is this call's outcome
        return Answer(None, None, f"internal error ({type(exc).__name__})", _ms(started))
    return Answer(200, body, None, _ms(started), spent=ledger.fetch_charges(
        requests=context.requests, bytes_fetched=context.bytes_fetched))


def _judge(database: Database, plan: _Plan, output: Any) -> Judgement:
    judgement = Judgement(output=output)
    for schema, whose in ((plan.agent_output_schema, "the agent's output schema"),
                          (plan.job_output_schema, "the job's output schema")):
        if schema:
            judgement.output = _keep_valid(schema, judgement.output, whose, judgement)
    if judgement.reasons:
        return judgement
    judgement.checks = acceptance.check(plan.criteria, judgement.output,
                                        _model_judge(database, plan))
    judgement.reasons = [f"criterion “{c.criterion.text}” missed: {c.detail}"
                         for c in judgement.checks if c.outcome is acceptance.Outcome.MISSED]
    return judgement


def _keep_valid(schema: dict[str, Any], output: Any, whose: str, judgement: Judgement) -> Any:
    """``output`` without the records that break ``schema``'s item schema (each reported);
    anything else that breaks ``schema`` rejects the answer."""
    key, one = item_schema(schema)
    items = output if key is None else (output.get(key) if isinstance(output, dict) else None)
    if one is not None and isinstance(items, list):
        kept = []
        for index, item in enumerate(items):
            problems = violations(one, item)
            if problems:
                judgement.invalid_items.append(f"item {index + 1}: {problems[0]}")
            else:
                kept.append(item)
        output = kept if key is None else {**output, key: kept}
    problems = violations(schema, output)
    if problems:
        judgement.reasons.extend(f"breaks {whose}: {p}" for p in problems[:MAX_REASONS])
    return output


def _model_judge(database: Database, plan: _Plan) -> Any:
    """Free-text criteria go to the job creator's model, when there is one."""
    from core import llm

    with database.transaction() as session:
        if not llm.has_provider(session, plan.user_id):
            return None

    def judge(text: str, output: Any) -> tuple[bool, str]:
        dumped = json.dumps(output, ensure_ascii=False)[:20000]
        try:
            verdict = llm.with_model(database, plan.user_id,
                                     lambda client: llm.judge_criterion(client, text, dumped))
        except llm.ModelError as exc:
            return False, f"the model could not judge it ({exc})"
        return verdict if verdict is not None else (False, "no model")

    return judge


def _event(database: Database, plan: _Plan, event: Event) -> None:
    with database.transaction() as session:
        record(session, WorkflowRef.agent_job(plan.job_id), event)


def _call_events(plan: _Plan, attempt: int, answer: Answer, status: AgentLogStatus,
                 why: list[str]) -> list[Event]:
    """What one call adds to the job's timeline: the exchange at ``call``, then its judgement
    at ``validate``."""
    where = plan.endpoint or f"builtin:{plan.builtin}"
    if status is AgentLogStatus.FAILURE:
        return [Failure(node="call", url=where, status=answer.status_code, error=why[0],
                        extra={"attempt": attempt})]
    fetched = PageFetched(node="call", url=where, status=answer.status_code,
                          seconds=answer.latency_ms / 1000, extra={"attempt": attempt})
    if status is AgentLogStatus.VALIDATION_ERROR:
        return [fetched, ValidationResult(node="validate", url=where,
                                          violations=why[:MAX_REASONS])]
    return [fetched]


def _log(database: Database, plan: _Plan, attempt: int, reasons: list[str], answer: Answer,
         status: AgentLogStatus, why: list[str]) -> None:
    with database.transaction() as session:
        for event in _call_events(plan, attempt, answer, status, why):
            record(session, WorkflowRef.agent_job(plan.job_id), event)
        cost = _charge(session, plan, answer.spent)
        session.add(AgentJobLog(
            job_id=plan.job_id, agent_id=plan.agent_id, attempt=attempt,
            request_payload={"input": plan.input, "feedback": reasons or None},
            response_payload=_clip(answer.body), status=status.value, reasons=why[:MAX_REASONS],
            latency_ms=answer.latency_ms, cost_usd=cost))


def _charge(session: Session, plan: _Plan, charges: list[ledger.Charge]) -> float | None:
    """Charge what a built-in's own fetching spent to the job's creator, through the ledger, and
    return its cost for the log: None when nothing was spent (an external agent, whose price
    ScrapeDeck does not know) or when some of it has no price (unpriced is not free)."""
    if not charges:
        return None
    at = utcnow()
    ledger.record(session, ledger.Owner(user_id=plan.user_id), charges, at=at)
    in_force = prices.prices_in_force(session, {c.kind.value for c in charges}, at)
    costs = [prices.match(in_force, c.kind.value, None, None)[0] for c in charges]
    if any(price is None for price in costs):
        return None
    return float(sum(p.cost(Decimal(str(c.quantity))) for p, c in zip(costs, charges,
                                                                      strict=True) if p))


def _clip(body: Any) -> Any:
    """Keep the log readable: a huge answer is stored as a note of its size."""
    if body is None:
        return None
    text = json.dumps(body, ensure_ascii=False)
    return body if len(text) <= 200_000 else {"clipped": f"{len(text):,} characters"}


def _ms(started: float) -> float:
    return round((time.monotonic() - started) * 1000, 1)


WORK = WorkKind(WorkName.AGENT_JOB, execute=execute_job, claim=claim, claim_next=claim_next,
                reap_stale=reap_stale)
