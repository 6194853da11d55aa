"""The Agents and Agent jobs pages, driven as a user would (a real worker dispatches the job)."""

from __future__ import annotations

import json
import time

import pytest

from core.agents import jobs
from core.platform.settings import get_settings
from tests.fixtures.agent_server import AgentServer, agent_doc
from tests.pages.conftest import by_label, texts

ADMIN = "admin@example.com"


@pytest.fixture
def agents_on_loopback(monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("ALLOW_PRIVATE_ADDRESSES", "1")
    get_settings.cache_clear()


def test_register_an_agent_by_pasting_it_and_see_it_listed(app, agent_server: AgentServer,
                                                          agents_on_loopback):
    at = app(ADMIN).switch_page("pages/agents.py").run()
    by_label(at.text_area, "…or paste it").input(
        json.dumps(agent_doc(agent_server.base_url, "/good", "Lamp lister")))
    at = by_label(at.button, "Register").click().run()
    assert not at.exception and not texts(at, "error")
    names = list(at.dataframe[0].value["name"])
    assert "Lamp lister" in names and "ScrapeDeck extractor" in names


def test_a_pasted_agent_that_is_not_json_is_refused_with_its_line(app, agents_on_loopback):
    at = app(ADMIN).switch_page("pages/agents.py").run()
    by_label(at.text_area, "…or paste it").input('{"name": "x",')
    at = by_label(at.button, "Register").click().run()
    assert "line 1" in texts(at, "error")[0]
    assert list(at.dataframe[0].value["kind"]).count("external") == 0


def test_create_a_job_and_read_its_criteria_once_accepted(app, agent_server, db,
                                                         agents_on_loopback):
    at = app(ADMIN).switch_page("pages/agents.py").run()
    by_label(at.text_area, "…or paste it").input(
        json.dumps(agent_doc(agent_server.base_url, "/good", "Lamp lister")))
    by_label(at.button, "Register").click().run()
    at.switch_page("pages/agent_jobs.py").run()
    by_label(at.text_input, "Name").input("list the lamps")
    by_label(at.text_area, "Input (JSON: what the agent receives)").input(
        '{"category": "lamps"}')
    by_label(at.text_area, "Acceptance criteria (one a line)").input(
        "at least 20 items\nevery price > 0")
    at = by_label(at.button, "Create and dispatch").click().run()
    assert not texts(at, "error"), texts(at, "error")
    _wait_until_finished(db)
    at.run()
    assert any("Completed" in s for s in texts(at, "subheader")), (texts(at, "subheader"), texts(at, "text"), texts(at, "error"), texts(at, "info"))
    checks = at.dataframe[1].value
    assert list(checks["outcome"]) == ["✔ met", "✔ met"]


def _wait_until_finished(db, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    from core.platform.access import Actor
    from db.models import User
    from sqlalchemy import select

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with db.transaction() as session:
            admin = session.scalar(select(User).where(User.email == ADMIN))
            actor = Actor(admin.id, admin.email, admin.name, admin.role)
            if all(not j.working for j in jobs.list_jobs(session, actor)):
                return
        time.sleep(0.2)
    raise AssertionError("the agent job did not finish")
