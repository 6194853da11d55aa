"""In a real browser, the agents Done-when: register an external agent from its card, create a
job "extract every product on these pages, at least 20 items, every price > 0" that goes to the
built-in extractor and is accepted with its criteria ticked; a broken agent's job ends in
Re-submission Required with each attempt's reasons; the registry shows both records."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from browser_kit import AppServer, go_to, press, screenshot, sign_in, wait_settled
from tests.fixtures.agent_server import AgentServer
from tests.fixtures.server import FixtureServer

pytestmark = pytest.mark.browser

JOB_TIMEOUT_MS = 60_000  # a worker process start plus seven local pages or three agent calls


@pytest.fixture
def agents() -> Iterator[AgentServer]:
    with AgentServer() as server:
        yield server


@pytest.fixture
def shop() -> Iterator[str]:
    with FixtureServer() as server:
        yield server.base_url


def _open(page: Page, title: str) -> None:
    go_to(page, title)
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    wait_settled(page)


def _new_job(page: Page, name: str, job_input: str, criteria: str) -> None:
    form = page.get_by_test_id("stForm")
    form.get_by_label("Name", exact=True).fill(name)
    form.get_by_label("Input (JSON: what the agent receives)").fill(job_input)
    form.get_by_label("Acceptance criteria (one a line)").fill(criteria)
    press(form.get_by_role("button", name="Create and dispatch"),
          page.get_by_text("Job created and dispatched."))


def test_agents_from_card_to_accepted_and_resubmitted_jobs(
        page: Page, scraping_app_server: AppServer, agents: AgentServer, shop: str) -> None:
    sign_in(page, scraping_app_server.admin_email, scraping_app_server.admin_password)
    _open(page, "Agents")
    page.get_by_text("Register an agent").click()
    page.get_by_label("Agent's base URL (its /.well-known/agent-card.json is read)").fill(
        agents.base_url)
    press(page.get_by_role("button", name="Import card"),
          page.get_by_text("Registered Catalog agent."))
    screenshot(page, "agents_registry")

    _open(page, "Agent jobs")
    urls = ", ".join(f'"{shop}/catalog/page{n}.html"' for n in (1, 2, 3))
    urls += ", " + ", ".join(f'"{shop}/shop/p/{n}"' for n in (1, 2, 3, 4))
    _new_job(page, "extract every product on these pages",
             '{"urls": [%s], "fields": ["name", "price"]}' % urls,
             "at least 20 items\nevery price > 0")
    expect(page.get_by_role("heading", name=re.compile("Completed"))).to_be_visible(
        timeout=JOB_TIMEOUT_MS)
    expect(page.get_by_text(re.compile(r"agent: ScrapeDeck extractor"))).to_be_visible()
    wait_settled(page)
    screenshot(page, "agent_job_accepted")

    page.get_by_text("New agent job").click()
    # The card's agent answers at /good; a job for the broken route goes by hand (an id).
    _new_job(page, "list the lamps of the catalog", '{"category": "lamps"}',
             "at least 100 items")
    expect(page.get_by_role("heading", name=re.compile("Re-submission Required"))).to_be_visible(
        timeout=JOB_TIMEOUT_MS)
    page.get_by_role("tab", name=re.compile(r"Calls \(3\)")).click()
    wait_settled(page)
    screenshot(page, "agent_job_resubmission_required")

    _open(page, "Agents")
    screenshot(page, "agents_records")
