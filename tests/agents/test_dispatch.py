"""Agent jobs against real agents on 127.0.0.1: accepted, re-submitted with reasons, or stopped
as Re-submission Required, every call in the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from core.agents import jobs, registry
from core.platform.errors import NotFound, ValidationError
from core.platform.settings import get_settings
from db.models.agents import AgentJob, AgentJobStatus
from db.types import utcnow
from tests.agents.conftest import job

pytestmark = pytest.mark.usefixtures("agent_env")


def statuses(view: jobs.JobView) -> list[str]:
    return [f"{log.attempt}:{log.status}" for log in view.logs]


def test_a_good_agent_is_accepted_with_every_criterion_ticked(analyst, register, dispatch, db):
    agent = register(analyst, "/good")
    done = dispatch(analyst, job(agent))
    assert done.status is AgentJobStatus.COMPLETED
    assert [c["outcome"] for c in done.verdict["checks"]] == ["met", "met"]
    assert len(done.result["items"]) == 25
    assert statuses(done) == ["1:success"]
    with db.transaction() as session:
        record = registry.get_agent(session, analyst, agent.id).record
    assert (record.jobs_accepted, record.jobs_finished, record.calls) == (1, 1, 1)


def test_an_agent_that_breaks_its_schema_is_sent_back_with_the_reasons(
        analyst, register, dispatch, agent_server):
    agent = register(analyst, "/broken")
    done = dispatch(analyst, job(agent))
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert statuses(done) == ["1:validation_error", "2:validation_error", "3:validation_error"]
    assert "'items' is a required property" in done.logs[0].reasons[0]
    # the second and third submissions carried the first one's reasons
    sent = [headers.get("X-ScrapeDeck-Feedback") for path, headers, _ in agent_server.requests
            if path == "/broken"][-3:]
    assert sent[0] is None and "items" in sent[1]
    assert done.logs[1].request_payload["feedback"] == done.logs[0].reasons


def test_meeting_the_schema_but_not_the_criteria_is_not_enough(analyst, register, dispatch):
    done = dispatch(analyst, job(register(analyst, "/weak"), max_attempts=2))
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert done.logs[-1].reasons == [
        "criterion “at least 20 items” missed: 3 items",
        "criterion “every price > 0” missed: 3 of 3 items do not (item 1, 2, 3)"]


def test_invalid_records_are_dropped_and_reported_not_the_whole_batch(analyst, register,
                                                                      dispatch):
    done = dispatch(analyst, job(register(analyst, "/mixed")))
    assert done.status is AgentJobStatus.COMPLETED
    assert len(done.result["items"]) == 22
    assert len(done.verdict["invalid_items"]) == 3
    assert done.verdict["invalid_items"][0].startswith("item 23: $.price: 'call us' is not")


def test_a_timeout_is_retried_then_the_job_stops(analyst, register, dispatch):
    done = dispatch(analyst, job(register(analyst, "/slow"), max_attempts=1))
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert statuses(done) == ["1:failure"] * (1 + get_settings().agent_max_retries)
    assert done.logs[0].reasons == ["no answer within 1 s"]


def test_a_5xx_is_retried_and_the_retry_succeeds(analyst, register, dispatch, agent_server):
    agent_server.reset()
    done = dispatch(analyst, job(register(analyst, "/flaky")))
    assert done.status is AgentJobStatus.COMPLETED
    assert statuses(done) == ["1:failure", "1:success"]
    assert done.logs[0].reasons == ["HTTP 503"]


@pytest.mark.parametrize(("route", "reason"), [
    ("/notjson", "the answer is not JSON"),
    ("/huge", "over the 100,000-byte limit"),
    ("/redirect", "HTTP 302 redirect (agents' redirects are not followed)"),
])
def test_answers_that_cannot_be_used_fail_the_call_with_a_reason(
        analyst, register, dispatch, monkeypatch, route, reason):
    monkeypatch.setenv("AGENT_MAX_RESPONSE_BYTES", "100000")
    get_settings.cache_clear()
    done = dispatch(analyst, job(register(analyst, route), max_attempts=1))
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert reason in done.logs[0].reasons[0]


def test_the_builtin_extractor_takes_a_product_job_by_its_words(analyst, dispatch, site):
    pages = [f"{site}/catalog/page{n}.html" for n in (1, 2, 3)]
    pages += [f"{site}/shop/p/{n}" for n in (1, 2, 3, 4)]
    done = dispatch(analyst, {
        "name": "extract every product on these pages",
        "input": {"urls": pages, "fields": ["name", "price"]},
        "acceptance_criteria": "at least 20 items\nevery price > 0"})
    assert done.agent_name == "ScrapeDeck extractor"
    assert done.status is AgentJobStatus.COMPLETED, done.note
    assert len(done.result["items"]) >= 20
    assert all(page["ok"] for page in done.result["pages"])


def test_the_best_fitting_registered_agent_is_picked(analyst, register, dispatch):
    register(analyst, "/weak", name="weather agent", keywords=["weather"])
    good = register(analyst, "/good", name="catalog lister")
    done = dispatch(analyst, job(None, name="list the products of the lamps catalog"))
    assert done.agent_id == good.id
    assert "picked by fit" in (done.note or "") or done.status is AgentJobStatus.COMPLETED


def test_no_fitting_agent_leaves_the_job_pending_with_a_reason(analyst, dispatch, db):
    done = dispatch(analyst, {"name": "tell a joke", "input": {"topic": "cats"},
                              "acceptance_criteria": ""})
    assert done.status is AgentJobStatus.PENDING
    assert done.note.startswith("No agent fits")


def test_free_text_criteria_are_marked_not_checked_without_a_model(analyst, register,
                                                                   dispatch):
    done = dispatch(analyst, job(register(analyst, "/good"),
                                 criteria="at least 20 items\nthe names sound friendly"))
    assert done.status is AgentJobStatus.COMPLETED
    assert [c["outcome"] for c in done.verdict["checks"]] == ["met", "not_checked"]
    assert "not checked" in done.note


def test_an_input_the_agent_does_not_accept_is_refused_before_anything_is_sent(
        analyst, register, db):
    agent = register(analyst, "/good")
    with db.transaction() as session, pytest.raises(ValidationError, match="input schema"):
        jobs.create_job(session, analyst, {**job(agent), "input": {"colour": "red"}})


def test_criteria_that_cannot_be_read_are_refused_and_nothing_is_kept(analyst, register, db):
    agent = register(analyst, "/good")
    with db.transaction() as session, pytest.raises(ValidationError, match="Cannot read"):
        jobs.create_job(session, analyst, job(agent, criteria="items >= lots"))
    with db.transaction() as session:
        assert jobs.list_jobs(session, analyst) == []


def test_others_neither_see_nor_dispatch_to_a_private_agent(analyst, make_user, register, db):
    agent = register(analyst, "/good")
    other = make_user("analyst")
    with db.transaction() as session:
        assert agent.id not in [a.id for a in registry.list_agents(session, other)]
        with pytest.raises(NotFound):
            jobs.create_job(session, other, job(agent))


def test_a_job_whose_worker_died_ends_as_resubmission_required(analyst, register, db):
    agent = register(analyst, "/good")
    with db.transaction() as session:
        created = jobs.create_job(session, analyst, job(agent))
    long_ago = utcnow() - timedelta(hours=1)
    with db.transaction() as session:
        session.execute(update(AgentJob).where(AgentJob.id == created.id).values(
            status=AgentJobStatus.IN_PROGRESS.value, heartbeat_at=long_ago))
        assert jobs.reap_stale(session) == 1
    with db.transaction() as session:
        view = jobs.get_job(session, analyst, created.id)
    assert view.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert "stopped responding" in view.note


def _dispatch_with_workers(db, actor, doc, monkeypatch):  # type: ignore[no-untyped-def]
    """Create the job, then let its built-in start real run or crawl workers."""
    from core.worker import execute_one

    with db.transaction() as session:
        created = jobs.create_job(session, actor, doc)
    monkeypatch.setenv("EXECUTOR", "local")
    get_settings.cache_clear()
    execute_one(db, "agent-job", created.id)
    with db.transaction() as session:
        return jobs.get_job(session, actor, created.id)


def test_the_builtin_job_runner_runs_a_scraping_job_and_returns_its_items(
        app_env, analyst, db, make_job, monkeypatch):
    job_id = make_job(analyst)
    done = _dispatch_with_workers(db, analyst, {
        "name": "run my catalog job", "agent": "run-job", "input": {"job_id": str(job_id), "max_minutes": 2},
        "acceptance_criteria": "at least 12 items\nevery price > 0\nfill rate of sku >= 1"},
        monkeypatch)
    assert done.status is AgentJobStatus.COMPLETED, done.note
    assert done.result["status"] == "completed" and len(done.result["items"]) == 12


def test_a_failure_no_retry_can_change_is_not_retried(analyst, dispatch, make_user, make_job):
    someone_elses = make_job(make_user("analyst"))  # not this analyst's to run
    done = dispatch(analyst, {
        "name": "run a job", "agent": "run-job",
        "input": {"job_id": str(someone_elses), "max_minutes": 1},
        "acceptance_criteria": "at least 1 item"})
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert statuses(done) == [f"{n}:failure" for n in range(1, len(done.logs) + 1)]
    assert len(done.logs) == done.max_attempts  # one call per attempt: no retries
    assert "not found" in done.logs[0].reasons[0].lower(), done.logs[0].reasons


def test_the_builtin_crawler_reports_a_sites_findings(app_env, analyst, db, seo_site,
                                                     monkeypatch):
    done = _dispatch_with_workers(db, analyst, {
        "name": "crawl the site", "agent": "crawl-site",
        "input": {"url": seo_site.base_url + "/", "max_pages": 40, "max_minutes": 2},
        "acceptance_criteria": "at least 1 item"}, monkeypatch)
    assert done.status is AgentJobStatus.COMPLETED, done.note
    assert done.result["pages_crawled"] > 5
    assert done.result["findings"], "the fixture site has planted problems"


def test_a_job_is_a_workflow_on_the_timeline_with_its_resubmit_loop(analyst, register,
                                                                    dispatch, db):
    from core.timeline import WorkflowRef, events, node_states

    done = dispatch(analyst, job(register(analyst, "/weak"), max_attempts=2))
    with db.transaction() as session:
        ref = WorkflowRef.agent_job(done.id)
        kinds = [(e.type.value, e.node) for e in events(session, ref, newest_first=False)]
        states = {s.node.id: (s.state, s.active_iteration) for s in node_states(session, ref)}
    assert kinds == [
        ("state_transition", "dispatch"), ("handoff", None),
        ("page_fetched", "call"), ("validation_result", "validate"),
        ("state_transition", "resubmit"),
        ("page_fetched", "call"), ("validation_result", "validate"),
        ("state_transition", "resubmit")]
    assert states["dispatch"][0] == states["call"][0] == states["validate"][0] == "completed"
    assert states["resubmit"][0] == "failed" and states["accept"][0] == "idle"
    assert states["call"][1] == 2  # the loop's iteration, for the graph's counter


def test_free_text_criteria_are_judged_by_the_creators_model(analyst, register, dispatch, db,
                                                            monkeypatch):
    from core.llm import providers
    from tests.fixtures.openai_server import OpenAIServer, Reply

    monkeypatch.setenv("SCRAPEDECK_SECRET_KEY", "test-secret-key-for-api-keys-0123456789")
    get_settings.cache_clear()

    with OpenAIServer(api_key="sk-agents-test") as openai:
        with db.transaction() as session:
            providers.save_provider(session, analyst, name="Local", base_url=openai.base_url,
                                    model="gpt-4o-mini", api_key="sk-agents-test")
        openai.script(Reply.json({"met": False, "reason": "Product 3 sounds unfriendly."}))
        done = dispatch(analyst, job(register(analyst, "/good"), max_attempts=1,
                                     criteria="at least 20 items\nthe names sound friendly"))
        prompt = openai.requests[-1][1]["messages"][-1]["content"]
    assert "Criterion: the names sound friendly" in prompt
    assert done.status is AgentJobStatus.RESUBMISSION_REQUIRED
    assert done.verdict["checks"][1] == {"criterion": "the names sound friendly",
                                         "outcome": "missed",
                                         "detail": "Product 3 sounds unfriendly."}


def test_a_builtin_calls_own_fetching_is_charged_and_costed_in_its_log(analyst, dispatch, site,
                                                                     db):
    from core import ledger

    with db.transaction() as session:  # an emptied PostgreSQL test database has no prices
        ledger.prices.seed_starting_prices(session)
    done = dispatch(analyst, {
        "name": "extract the products", "agent": "extract-pages",
        "input": {"urls": [f"{site}/catalog/page1.html"], "fields": ["name", "price"]},
        "acceptance_criteria": "at least 4 items"})
    assert done.status is AgentJobStatus.COMPLETED
    with db.transaction() as session:
        spent = ledger.quantities(session, ledger.Scope(user_id=analyst.id))
    assert spent["requests"] >= 1 and spent["bytes_fetched"] > 1000
    assert done.logs[0].cost_usd is not None and done.logs[0].cost_usd > 0
