"""The agent registry: agents registered by hand or from an agent card, the built-in agents, and
each agent's record computed from its own job logs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.agents.builtin import BUILTINS
from core.agents.http import get_json
from core.agents.schemas import check_agent_schema
from core.platform.access import Actor, can_read, require_writer
from core.platform.errors import NotFound, ValidationError
from core.platform.records import parse_id
from core.scrape.urls import AddressPolicy, check_target_url
from db.models.agents import Agent, AgentJob, AgentJobLog, AgentJobStatus, AgentLogStatus

CARD_PATH = "/.well-known/agent-card.json"
OPEN_OBJECT: dict[str, Any] = {"type": "object"}
MAX_KEYWORDS = 30


@dataclass(frozen=True)
class AgentRecord:
    """How an agent has done, from its logs: calls, jobs it finished, and what they cost."""

    calls: int
    jobs_finished: int
    jobs_accepted: int
    mean_latency_ms: float | None
    cost_per_accepted: float | None  # None: no accepted job, or its calls were unpriced
    last_failures: list[str]

    @property
    def acceptance_rate(self) -> float | None:
        return self.jobs_accepted / self.jobs_finished if self.jobs_finished else None


@dataclass(frozen=True)
class AgentView:
    id: uuid.UUID
    name: str
    description: str
    endpoint_url: str | None
    builtin: str | None
    keywords: list[str]
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    is_public: bool
    owner_id: uuid.UUID | None
    created_at: datetime
    record: AgentRecord

    @property
    def kind(self) -> str:
        return "built in" if self.builtin else "external"


def sync_builtins(session: Session) -> None:
    """Make the built-in agents' rows match the code (new ones added, schemas kept current)."""
    existing = {a.builtin: a for a in session.scalars(select(Agent).where(Agent.builtin.is_not(None)))}
    for key, spec in BUILTINS.items():
        row = existing.get(key) or Agent(builtin=key, owner_id=None, is_public=True)
        row.name, row.description, row.keywords = spec.name, spec.description, list(spec.keywords)
        row.input_schema, row.output_schema = spec.input_schema, spec.output_schema
        session.add(row)
    session.flush()


def register_agent(session: Session, actor: Actor, doc: Any, *, is_public: bool = False) -> AgentView:
    """Register an external agent from a document: ``name``, ``endpoint_url``, ``input_schema``,
    ``output_schema``, optional ``description`` and ``keywords`` — or an agent card (A2A: ``name``,
    ``url``, ``skills``), recognised by its ``skills``."""
    require_writer(actor)
    if not isinstance(doc, dict):
        raise ValidationError("An agent is described by a JSON object.")
    spec = _from_card(doc) if "skills" in doc else doc
    name = str(spec.get("name") or "").strip()
    if not name or len(name) > 120:
        raise ValidationError("An agent needs a name of 1–120 characters.")
    endpoint = str(spec.get("endpoint_url") or "").strip()
    if not endpoint:
        raise ValidationError("An agent needs an endpoint URL (where ScrapeDeck POSTs its input).")
    endpoint = check_target_url(endpoint, allow_private=AddressPolicy.from_settings())
    agent = Agent(owner_id=actor.id, name=name, endpoint_url=endpoint, is_public=is_public,
                  description=str(spec.get("description") or "")[:5000],
                  input_schema=check_agent_schema(spec.get("input_schema", OPEN_OBJECT),
                                                  "input schema"),
                  output_schema=check_agent_schema(spec.get("output_schema", OPEN_OBJECT),
                                                   "output schema"),
                  keywords=_keywords(spec.get("keywords")),
                  card=doc if "skills" in doc else None)
    session.add(agent)
    session.flush()
    return _view(session, agent)


def fetch_card(base_url: str) -> dict[str, Any]:
    """The agent card published at ``base_url`` (its ``/.well-known/agent-card.json``, unless
    the URL already names a JSON file)."""
    url = base_url.strip()
    if not url.endswith(".json"):
        url = urljoin(url.rstrip("/") + "/", CARD_PATH.lstrip("/"))
    card = get_json(url)
    if not isinstance(card, dict):
        raise ValidationError(f"{url} does not hold an agent card (a JSON object).")
    return card


def _from_card(card: dict[str, Any]) -> dict[str, Any]:
    """An A2A agent card as a registration. Cards carry skills with tags; typed input and output
    schemas are an extension (``inputSchema``/``outputSchema`` on the card or its first skill);
    without them the agent takes and returns any JSON object."""
    skills = [s for s in card.get("skills") or [] if isinstance(s, dict)]
    if not isinstance(card.get("skills"), list):
        raise ValidationError("The agent card's \"skills\" must be a list.")
    first = skills[0] if skills else {}
    words = [w for s in skills for w in [*(s.get("tags") or []), s.get("name") or ""]]
    return {
        "name": card.get("name"), "description": card.get("description") or "",
        "endpoint_url": card.get("url"), "keywords": words,
        "input_schema": card.get("inputSchema") or first.get("inputSchema") or OPEN_OBJECT,
        "output_schema": card.get("outputSchema") or first.get("outputSchema") or OPEN_OBJECT,
    }


def _keywords(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(",")
    if not isinstance(value, list):
        raise ValidationError("Keywords are a list of words or a comma-separated text.")
    words = {str(w).strip().lower() for w in value if str(w).strip()}
    return sorted(words)[:MAX_KEYWORDS]


def _visible(actor: Actor) -> Any:
    if actor.is_admin:
        return True
    return or_(Agent.is_public.is_(True), Agent.owner_id == actor.id)


def list_agents(session: Session, actor: Actor) -> list[AgentView]:
    sync_builtins(session)
    rows = session.scalars(select(Agent).where(_visible(actor))
                           .order_by(Agent.builtin.is_(None), Agent.name))
    return [_view(session, a) for a in rows]


def load_agent(session: Session, actor: Actor, agent_id: uuid.UUID | str) -> Agent:
    """An agent the actor may use (built in, theirs, public, or any for an admin); a malformed
    id, a missing agent and someone else's private one all read "not found"."""
    key = parse_id(agent_id)
    agent = session.get(Agent, key) if key is not None else None
    if agent is None or (agent.owner_id is not None
                         and not can_read(actor, agent.owner_id, agent.is_public)):
        raise NotFound("Agent not found.")
    return agent


def get_agent(session: Session, actor: Actor, agent_id: uuid.UUID | str) -> AgentView:
    return _view(session, load_agent(session, actor, agent_id))


def _view(session: Session, agent: Agent) -> AgentView:
    return AgentView(id=agent.id, name=agent.name, description=agent.description,
                     endpoint_url=agent.endpoint_url, builtin=agent.builtin,
                     keywords=list(agent.keywords or []), input_schema=agent.input_schema,
                     output_schema=agent.output_schema, is_public=agent.is_public,
                     owner_id=agent.owner_id, created_at=agent.created_at,
                     record=agent_record(session, agent.id))


def agent_record(session: Session, agent_id: uuid.UUID) -> AgentRecord:
    calls, latency = session.execute(
        select(func.count(AgentJobLog.id), func.avg(AgentJobLog.latency_ms))
        .where(AgentJobLog.agent_id == agent_id)).one()
    finished = dict(session.execute(
        select(AgentJob.status, func.count(AgentJob.id))
        .where(AgentJob.assigned_agent_id == agent_id,
               AgentJob.status.in_([AgentJobStatus.COMPLETED, AgentJobStatus.RESUBMISSION_REQUIRED]))
        .group_by(AgentJob.status)).all())
    accepted = int(finished.get(AgentJobStatus.COMPLETED, 0))
    accepted_cost = session.scalar(
        select(func.sum(AgentJobLog.cost_usd)).join(AgentJob, AgentJob.id == AgentJobLog.job_id)
        .where(AgentJobLog.agent_id == agent_id,
               AgentJob.status == AgentJobStatus.COMPLETED))
    failures = session.scalars(
        select(AgentJobLog).where(AgentJobLog.agent_id == agent_id,
                                  AgentJobLog.status != AgentLogStatus.SUCCESS)
        .order_by(AgentJobLog.created_at.desc()).limit(3))
    return AgentRecord(
        calls=int(calls or 0), jobs_finished=sum(int(n) for n in finished.values()),
        jobs_accepted=accepted, mean_latency_ms=float(latency) if latency is not None else None,
        cost_per_accepted=(float(accepted_cost) / accepted
                           if accepted and accepted_cost is not None else None),
        last_failures=["; ".join(log.reasons or [AgentLogStatus(log.status).label])
                       for log in failures])
