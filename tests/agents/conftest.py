"""Agent tests: real agent servers on 127.0.0.1, jobs dispatched by the real worker code."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from core.agents import jobs, registry
from core.platform.access import Actor
from core.platform.database import Database
from core.platform.settings import get_settings
from core.worker import execute_one
from tests.fixtures.agent_server import AgentServer, agent_doc


@pytest.fixture
def agent_env(local_fetching: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Agents on 127.0.0.1, quick retries, a short timeout, and no worker spawned by a commit
    (each test runs the worker's code itself with ``dispatch``)."""
    monkeypatch.setenv("AGENT_TIMEOUT_SECONDS", "1")
    monkeypatch.setenv("AGENT_BACKOFF_SECONDS", "0.01")
    monkeypatch.setenv("EXECUTOR", "queue")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def register(db: Database, agent_server: AgentServer, agent_env: None
             ) -> Callable[..., registry.AgentView]:
    def make(actor: Actor, route: str, **extra: Any) -> registry.AgentView:
        with db.transaction() as session:
            return registry.register_agent(session, actor,
                                           {**agent_doc(agent_server.base_url, route), **extra})
    return make


@pytest.fixture
def dispatch(db: Database, agent_env: None) -> Callable[..., jobs.JobView]:
    """Create a job as ``actor`` and run it through the worker's own entry point."""
    def run(actor: Actor, doc: dict[str, Any]) -> jobs.JobView:
        with db.transaction() as session:
            created = jobs.create_job(session, actor, doc)
        if created.agent_id is not None:
            execute_one(db, "agent-job", created.id)
        with db.transaction() as session:
            return jobs.get_job(session, actor, created.id)
    return run


def job(agent: registry.AgentView | str | None, criteria: str = "at least 20 items\n"
        "every price > 0", **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"name": "list the lamps", "input": {"category": "lamps"},
                           "acceptance_criteria": criteria, **extra}
    if agent is not None:
        doc["agent"] = str(agent.id) if isinstance(agent, registry.AgentView) else agent
    return doc


def new_id() -> str:
    return str(uuid.uuid4())
