"""Agent jobs (seed 004): created with an input and acceptance criteria, assigned to an agent
(the user's pick, or the best fit by keywords and schema compatibility), then dispatched by a
worker (``core.agents.dispatch``). Statuses move Pending → Assigned → In Progress → Completed |
Re-submission Required."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.agents import criteria as acceptance
from core.agents.registry import AgentView, list_agents, load_agent, sync_builtins
from core.agents.schemas import check_agent_schema, fields_of, violations
from core.platform.access import Actor, can_read, require_change, require_writer
from core.platform.errors import NotFound, ValidationError
from core.platform.records import parse_id
from core.platform.work import WorkName, claim_by_id, claim_oldest, spawn_after_commit
from core.timeline import (Failure, Handoff, HandoffTarget, StateTransition, WorkflowRef, graph,
                           record)
from db.models.agents import Agent, AgentJob, AgentJobLog, AgentJobStatus, AgentLogStatus
from db.types import utcnow

DEFAULT_ATTEMPTS = 3
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class LogView:
    id: uuid.UUID
    attempt: int
    agent_name: str | None
    status: AgentLogStatus
    reasons: list[str]
    latency_ms: float | None
    cost_usd: float | None
    request_payload: Any
    response_payload: Any
    created_at: datetime


@dataclass(frozen=True)
class JobView:
    id: uuid.UUID
    name: str
    description: str
    acceptance_criteria: str
    criteria: list[acceptance.Criterion]
    input: dict[str, Any]
    output_schema: dict[str, Any] | None
    status: AgentJobStatus
    agent_id: uuid.UUID | None
    agent_name: str | None
    created_by: uuid.UUID
    result: Any
    verdict: dict[str, Any] | None
    attempts: int
    max_attempts: int
    note: str | None
    created_at: datetime
    finished_at: datetime | None
    logs: list[LogView]
    graph_dot: str = ""  # dispatch → call → validate → accept | re-submit, with node states

    @property
    def finished(self) -> bool:
        return self.status.finished

    @property
    def working(self) -> bool:
        """An agent has it or is about to: the page keeps watching."""
        return self.status in (AgentJobStatus.ASSIGNED, AgentJobStatus.IN_PROGRESS)


def create_job(session: Session, actor: Actor, doc: Any) -> JobView:
    """A job from a document: ``name``, ``input`` (a JSON object), ``acceptance_criteria`` (text
    or a list of lines), optional ``description``, ``output_schema``, ``agent`` (an agent id or a
    built-in's key; default: the best fit) and ``max_attempts`` (1–10, default 3)."""
    require_writer(actor)
    if not isinstance(doc, dict):
        raise ValidationError("A job is described by a JSON object.")
    name = str(doc.get("name") or "").strip()
    if not name or len(name) > 200:
        raise ValidationError("A job needs a name of 1–200 characters.")
    job_input = doc.get("input", {})
    if not isinstance(job_input, dict):
        raise ValidationError("The job's input must be a JSON object (what the agent receives).")
    text = _criteria_text(doc.get("acceptance_criteria", ""))
    acceptance.parse_criteria(text)  # refuse criteria that cannot be read, before anything is kept
    output_schema = doc.get("output_schema")
    if output_schema is not None:
        output_schema = check_agent_schema(output_schema, "output schema")
    attempts = doc.get("max_attempts", DEFAULT_ATTEMPTS)
    if not isinstance(attempts, int) or isinstance(attempts, bool) or not 1 <= attempts <= 10:
        raise ValidationError("max_attempts is a whole number from 1 to 10.")
    job = AgentJob(name=name, description=str(doc.get("description") or "")[:5000],
                   acceptance_criteria=text, input=job_input, output_schema=output_schema,
                   created_by=actor.id, max_attempts=attempts,
                   is_public=bool(doc.get("is_public", False)))
    session.add(job)
    agent, why = _pick_agent(session, actor, job, doc.get("agent"))
    _assign(session, job, agent, why)
    session.flush()
    return _view(session, job)


def _criteria_text(value: Any) -> str:
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    if not isinstance(value, str):
        raise ValidationError("acceptance_criteria is a text (one criterion a line) or a list.")
    return value


def _pick_agent(session: Session, actor: Actor, job: AgentJob,
                wanted: Any) -> tuple[Agent | None, str]:
    sync_builtins(session)
    if wanted:
        agent = session.scalar(select(Agent).where(Agent.builtin == str(wanted)))
        agent = agent or load_agent(session, actor, str(wanted))
        problems = violations(agent.input_schema, job.input)
        if problems:
            raise ValidationError(f"The input does not match {agent.name}'s input schema:",
                                  [str(p) for p in problems[:10]])
        return agent, "chosen by you"
    best = choose_agent(list_agents(session, actor), job)
    if best is None:
        return None, ("No agent fits: none accepts this input under its input schema and shares "
                      "a keyword with the job. Register one, or pick an agent.")
    view, score = best
    return session.get(Agent, view.id), f"picked by fit (score {score:g})"


def choose_agent(agents: list[AgentView], job: AgentJob) -> tuple[AgentView, float] | None:
    """The agent that fits ``job`` best: its input schema accepts the job's input, and it shares
    the most words with the job (its keywords and name count 1, its description ½); an output
    schema that has every field the job's output schema names doubles the score. None when
    nothing fits."""
    words = _words(f"{job.name} {job.description} {job.acceptance_criteria}")
    wanted_fields = fields_of(job.output_schema)
    scored: list[tuple[float, int, AgentView]] = []
    for rank, agent in enumerate(agents):
        if violations(agent.input_schema, job.input):
            continue
        own = _words(" ".join([*agent.keywords, agent.name]))
        score = len(words & own) + 0.5 * len(words & (_words(agent.description) - own))
        if wanted_fields and wanted_fields <= fields_of(agent.output_schema):
            score *= 2
        if score > 0:
            scored.append((score, -rank, agent))
    if not scored:
        return None
    score, _rank, agent = max(scored, key=lambda s: (s[0], s[1]))
    return agent, score


_STOP_WORDS = frozenset("a an and are as at be by every for from in is it of on or that the "
                        "these this to with all each than least most items item".split())


def _words(text: str) -> set[str]:
    """Content words, lightly stemmed ("lamps" and "lamp" are one word; "lister" is "list")."""
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP_WORDS}


def _stem(word: str) -> str:
    for suffix in ("ing", "er", "s"):
        if len(word) > len(suffix) + 2 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


def _assign(session: Session, job: AgentJob, agent: Agent | None, why: str) -> None:
    if agent is None:
        job.status, job.note = AgentJobStatus.PENDING, why
    else:
        job.assigned_agent_id, job.status = agent.id, AgentJobStatus.ASSIGNED
        job.note = f"Assigned to {agent.name} ({why})."
    session.flush()
    record(session, WorkflowRef.agent_job(job.id), StateTransition(
        node="dispatch", to=job.status, extra={"agent": agent.name if agent else None,
                                               "why": why}))
    if agent is not None:
        spawn_after_commit(session, WorkName.AGENT_JOB, job.id)


def assign_job(session: Session, actor: Actor, job_id: uuid.UUID | str,
               agent_id: uuid.UUID | str) -> JobView:
    """Give a Pending (or Re-submission Required) job to an agent, and dispatch it again."""
    job = _load(session, actor, job_id)
    require_change(actor, job.created_by, "job")
    if job.status not in (AgentJobStatus.PENDING, AgentJobStatus.RESUBMISSION_REQUIRED):
        raise ValidationError(f"This job is {AgentJobStatus(job.status).label}; only Pending or "
                              "Re-submission Required jobs can be assigned again.")
    agent, why = _pick_agent(session, actor, job, agent_id)
    job.attempts, job.result, job.verdict, job.finished_at = 0, None, None, None
    _assign(session, job, agent, why)
    return _view(session, job)


def _visible(actor: Actor) -> Any:
    if actor.is_admin:
        return True
    return or_(AgentJob.created_by == actor.id, AgentJob.is_public.is_(True))


def list_jobs(session: Session, actor: Actor, limit: int = 100) -> list[JobView]:
    rows = session.scalars(select(AgentJob).where(_visible(actor))
                           .order_by(AgentJob.created_at.desc()).limit(max(1, min(limit, 1000))))
    return [_view(session, job, with_logs=False) for job in rows]


def get_job(session: Session, actor: Actor, job_id: uuid.UUID | str) -> JobView:
    return _view(session, _load(session, actor, job_id))


def _load(session: Session, actor: Actor, job_id: uuid.UUID | str) -> AgentJob:
    key = parse_id(job_id)
    job = session.get(AgentJob, key) if key is not None else None
    if job is None or not can_read(actor, job.created_by, job.is_public):
        raise NotFound("Agent job not found.")
    return job


def _view(session: Session, job: AgentJob, *, with_logs: bool = True) -> JobView:
    agent = session.get(Agent, job.assigned_agent_id) if job.assigned_agent_id else None
    logs: list[LogView] = []
    if with_logs:
        names = {a.id: a.name for a in session.scalars(select(Agent).where(
            Agent.id.in_(select(AgentJobLog.agent_id).where(AgentJobLog.job_id == job.id))))}
        logs = [LogView(id=log.id, attempt=log.attempt,
                        agent_name=names.get(log.agent_id) if log.agent_id else None,
                        status=AgentLogStatus(log.status), reasons=list(log.reasons or []),
                        latency_ms=log.latency_ms, cost_usd=log.cost_usd,
                        request_payload=log.request_payload,
                        response_payload=log.response_payload, created_at=log.created_at)
                for log in session.scalars(select(AgentJobLog).where(AgentJobLog.job_id == job.id)
                                           .order_by(AgentJobLog.created_at, AgentJobLog.attempt))]
    return JobView(id=job.id, name=job.name, description=job.description,
                   acceptance_criteria=job.acceptance_criteria,
                   criteria=acceptance.parse_criteria(job.acceptance_criteria), input=job.input,
                   output_schema=job.output_schema, status=AgentJobStatus(job.status),
                   agent_id=job.assigned_agent_id, agent_name=agent.name if agent else None,
                   created_by=job.created_by, result=job.result, verdict=job.verdict,
                   attempts=job.attempts, max_attempts=job.max_attempts, note=job.note,
                   created_at=job.created_at, finished_at=job.finished_at, logs=logs,
                   graph_dot=graph(session, WorkflowRef.agent_job(job.id)).to_dot()
                   if with_logs else "")


# --- the worker's side: claiming ---------------------------------------------------------

def claim(session: Session, job_id: uuid.UUID, worker: str) -> bool:
    claimed = claim_by_id(session, AgentJob, job_id, worker,
                          [AgentJob.status == AgentJobStatus.ASSIGNED],
                          status=AgentJobStatus.IN_PROGRESS, started_at=True)
    if claimed:
        record(session, WorkflowRef.agent_job(job_id),
               Handoff(target=HandoffTarget.WORKER, worker=worker))
    return claimed


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    return claim_oldest(session, worker, AgentJob,
                        [AgentJob.status == AgentJobStatus.ASSIGNED],
                        AgentJob.created_at, claim)


def reap_stale(session: Session, now: datetime | None = None) -> int:
    """Jobs whose worker died end as Re-submission Required, with what they had kept."""
    from core.platform.work import stale

    now = now or utcnow()
    rows = list(session.scalars(select(AgentJob).where(
        AgentJob.status == AgentJobStatus.IN_PROGRESS, stale(AgentJob, now))))
    for job in rows:
        job.status, job.finished_at = AgentJobStatus.RESUBMISSION_REQUIRED, now
        job.note = "The worker dispatching this job stopped responding; assign it again."
        record(session, WorkflowRef.agent_job(job.id), Failure(
            to=job.status, error=job.note, reason="stale"))
    return len(rows)
