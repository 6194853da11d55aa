"""With a model configured (a real OpenAI-compatible server on 127.0.0.1), the generators, the
validator and the optimizer ask it and its answers shape the design; the rules judge them: a
model finding stays only when its cited page states it, garbage is repaired once and then
refused (the rule path stands, the reason recorded), and a model that is down leaves the rule
path running. Every call is in the ledger for its provider run and node."""

from __future__ import annotations

import json
import socket

import pytest
from sqlalchemy import func, select

from core import timeline
from core.advisor import records
from core.llm import prices, providers
from core.platform.settings import get_settings
from core.worker import execute_one
from db.models import CostEvent, ProviderRun
from tests.advisor.conftest import SCENARIO
from tests.fixtures.openai_server import Reply
from tests.llm.conftest import API_KEY, loopback_allowed, openai, secret_key  # noqa: F401

GOOD_PICKS = (Reply.json({"service": "ec2-asg", "rationale": "Steady load suits VMs."}),
              Reply.json({"service": "s3-standard", "rationale": "Durable."}),
              Reply.json({"service": "alb", "rationale": "HTTP routing."}),
              Reply.json({"service": "aurora-postgresql", "rationale": "HA."}))
EC2_DOC = "/autoscaling/ec2/userguide/auto-scaling-benefits.html"
NO_FINDINGS = Reply.json({"findings": []})


def _with_model(db, analyst, base_url: str) -> None:  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        prices.seed_default_prices(session)
        providers.save_provider(session, analyst, name="OpenAI", base_url=base_url,
                                model="gpt-4o-mini", api_key=API_KEY)


def _run(db, analyst):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        asked = records.ask(session, analyst, SCENARIO, "aws")
    execute_one(db, "advisor", asked.run_ids["aws"])
    with db.transaction() as session:
        return asked.run_ids["aws"], records.show(session, analyst, asked.query_id).runs[0]


def _handoffs(db, run_id):  # type: ignore[no-untyped-def]
    with db.transaction() as session:
        return [e for e in timeline.events(session, timeline.WorkflowRef.advisor(run_id))
                if isinstance(e, timeline.Handoff) and e.target == "model"]


def test_good_picks_make_the_design_and_every_call_is_costed_per_node(
        db, analyst, docs, openai, secret_key) -> None:  # noqa: F811
    _with_model(db, analyst, openai.base_url)
    openai.script(*GOOD_PICKS, NO_FINDINGS)
    run_id, run = _run(db, analyst)
    assert run.status == "accepted" and run.iteration_count == 0
    first = run.iterations[0]
    # The rule path alone proposes Fargate, S3 One Zone-IA, RDS single-AZ: the model's picks win.
    assert {d: p["content"]["service"] for d, p in first.proposals.items()} == {
        "compute": "ec2-asg", "storage": "s3-standard", "network": "alb",
        "database": "aurora-postgresql"}
    assert "the model's choice" in first.proposals["compute"]["rationale"]
    assert "Steady load" in first.proposals["compute"]["rationale"]
    review = next(f for f in first.findings if f.check == "model_review")
    assert "proposed 0 finding(s); 0 kept" in review.reason
    with db.transaction() as session:
        rows = list(session.scalars(select(CostEvent).where(
            CostEvent.kind == "llm_input_tokens")))
        costs = records.run_costs(session, analyst, run_id)
    assert sorted(r.node or "" for r in rows) == sorted(
        ["compute", "storage", "network", "database", "validator"])
    assert {r.advisor_run_id for r in rows} == {run_id}
    assert [c.node for c in costs] == ["compute", "storage", "network", "database", "validator"]
    assert all(c.input_tokens == 50 and c.output_tokens == 10 and c.cost_usd > 0 for c in costs)
    assert sorted(e.node for e in _handoffs(db, run_id)) == sorted(
        ["compute", "storage", "network", "database", "validator"])


def test_advisor_show_prints_what_each_node_spent_on_the_model(
        db, analyst, docs, openai, secret_key, cli) -> None:  # noqa: F811
    _with_model(db, analyst, openai.base_url)
    openai.script(*GOOD_PICKS, NO_FINDINGS)
    run_id, _run_view = _run(db, analyst)
    with db.transaction() as session:
        query_id = session.get_one(ProviderRun, run_id).query_id

    status, out, err = cli("--user", analyst.email, "advisor", "show", str(query_id))
    assert status == 0, err
    costs = out[out.index("Model calls by node, aws"):].splitlines()[1:]
    assert [line.split()[0] for line in costs] == [
        "compute", "storage", "network", "database", "validator"]
    assert all(line.split()[1:5] == ["50", "in", "10", "out"] and line.split()[5].startswith("$")
               for line in costs)
    doc = json.loads(cli("--user", analyst.email, "advisor", "show", str(query_id), "--json")[1])
    [shown] = doc["runs"]
    assert [c["node"] for c in shown["model_costs"]][-1] == "validator"
    assert all(c["input_tokens"] == 50 and c["unpriced"] == 0 for c in shown["model_costs"])


def test_a_model_finding_its_page_states_changes_the_design_through_the_optimizer(
        db, analyst, docs, openai, secret_key) -> None:  # noqa: F811
    _with_model(db, analyst, openai.base_url)
    supported = {"domain": "compute", "check": "prefer_containers", "outcome": "fail",
                 "severity": "medium", "reason": "VMs need patching the team cannot do.",
                 "remediation": "Run the API on containers.", "doc": EC2_DOC,
                 "quote": ["multiple Availability Zones", "launch instances in another one"],
                 "target": "compute", "requirement": {"not_kinds": ["vm"]}}
    invented = {"domain": "network", "check": "waf", "outcome": "fail", "severity": "high",
                "reason": "No WAF.", "remediation": "Add one.", "doc": EC2_DOC,
                "quote": ["web application firewall is mandatory"], "target": "network",
                "requirement": {"min_sla": 99.999}}
    openai.script(*GOOD_PICKS,
                  Reply.json({"findings": [supported, invented]}),
                  # The optimizer first leaves out compute, which the kept finding targets:
                  # sent back once, then a valid answer.
                  Reply.json({"target_domains": ["storage"], "instructions": "x"}),
                  Reply.json({"target_domains": ["compute"],
                              "instructions": "Move the API to managed containers.",
                              "requirements": {"compute": {"not_kinds": ["vm"]}}}),
                  Reply.json({"service": "fargate", "rationale": "Containers, as asked."}),
                  *GOOD_PICKS[1:], NO_FINDINGS)
    run_id, run = _run(db, analyst)
    first, second = run.iterations[0], run.iterations[1]
    kept = next(f for f in first.findings if f.check == "model_prefer_containers")
    assert kept.outcome == "fail" and kept.evidence and kept.evidence[0].available
    assert "launch instances in another one" in kept.evidence[0].excerpt
    assert not any(f.check == "model_waf" for f in first.findings)  # its page does not say it
    review = next(f for f in first.findings if f.check == "model_review")
    assert "1 kept" in review.reason and "1 dropped: model_waf" in review.reason
    assert "web application firewall is mandatory" in review.reason
    assert first.feedback is not None and first.feedback["target_domains"] == ["compute"]
    assert first.feedback["instructions"].startswith("Move the API to managed containers.")
    # Iteration 1: VMs are ruled out for compute; the model picks containers.
    assert second.proposals["compute"]["content"]["service"] == "fargate"
    assert second.changed["compute"].startswith("Amazon EC2 Auto Scaling group")
    assert run.status == "accepted" and run.iteration_count == 1
    with db.transaction() as session:
        nodes = {c.node: c for c in records.run_costs(session, analyst, run_id)}
    assert nodes["optimizer"].input_tokens == 100  # the answer and its repair
    assert {"compute", "validator", "optimizer"} <= set(nodes)


def test_garbage_is_repaired_once_then_refused_and_the_rules_finish_the_run(
        db, analyst, docs, openai, secret_key) -> None:  # noqa: F811
    _with_model(db, analyst, openai.base_url)
    openai.script(Reply.text("I think Lambda, probably."), Reply.text("Lambda!"),
                  Reply.json({"service": "cosmos-db", "rationale": "x"}),
                  Reply.json({"service": "s3-standard", "rationale": "Fixed: zone-redundant."}),
                  Reply.json({"service": "alb"}), Reply.json({"service": "alb"}),
                  Reply.json({"service": "rds-single-az", "rationale": "cheap"}))
    # Every later answer is the server's default, {"ok": true}: refused after its repair.
    run_id, run = _run(db, analyst)
    first = run.iterations[0].proposals
    assert first["compute"]["content"]["service"] == "fargate"  # the rules' choice
    assert ("refused (the answer is not JSON (also after one repair))"
            in first["compute"]["rationale"])
    assert first["storage"]["content"]["service"] == "s3-standard"
    assert "the model's choice (after one repair)" in first["storage"]["rationale"]
    assert "breaks the schema" in first["network"]["rationale"]
    assert first["database"]["content"]["service"] == "rds-single-az"  # valid, and cheap
    for it in run.iterations:
        review = next(f for f in it.findings if f.check == "model_review")
        assert review.reason.startswith("The model's review was not used (the answer breaks "
                                        "the schema")
    assert "The model's feedback was refused" in run.iterations[0].feedback["instructions"]
    # The rules judge and refine: accepted, with every iteration kept.
    assert run.status == "accepted" and run.iteration_count >= 1
    assert [it.iteration for it in run.iterations] == list(range(run.iteration_count + 1))
    with db.transaction() as session:
        paid = session.scalar(select(func.count()).select_from(CostEvent).where(
            CostEvent.kind == "llm_input_tokens", CostEvent.advisor_run_id == run_id))
    assert paid == len(_handoffs(db, run_id))  # every refused answer is paid for too


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LLM_MAX_RETRIES", "0")
    get_settings.cache_clear()


def test_a_model_that_is_down_leaves_the_rule_path_running(
        db, analyst, docs, loopback_allowed, secret_key, no_retries) -> None:  # noqa: F811
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _with_model(db, analyst, f"http://127.0.0.1:{port}/v1")
    run_id, run = _run(db, analyst)
    assert run.status == "accepted"  # by the rules, as with no model at all
    first = run.iterations[0]
    assert "the model call failed: Cannot reach the model provider" in \
        first.proposals["compute"]["rationale"]
    for domain in ("storage", "network", "database"):
        assert "the model was not asked: it could not be reached" in \
            first.proposals[domain]["rationale"]
    review = next(f for f in first.findings if f.check == "model_review")
    assert "was not used (the model was not asked: it could not be reached" in review.reason
    assert "The model's feedback was refused: the model was not asked" in \
        first.feedback["instructions"]
    with db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(CostEvent).where(
            CostEvent.advisor_run_id == run_id)) == 0  # nothing answered, nothing paid
