"""The rule path without a database: reading a query, the generators, the reducer's
cross-domain checks, what the validator reports as unchecked, and finding a passage."""

from __future__ import annotations

import dataclasses

import pytest

from core.advisor import evidence, query, rules
from core.platform.errors import ValidationError
from db.models.advisor import Domain, Outcome, Priority
from tests.advisor.conftest import SCENARIO


def test_the_scenario_text_is_read_for_every_constraint_it_states() -> None:
    c = query.build(SCENARIO, None)
    assert (c.rps, c.engine, c.residency, c.availability, c.budget_usd_month) == (
        10_000, "postgresql", "eu", 99.95, 3000)
    assert query.build(SCENARIO, {"budget_usd_month": 5000}).budget_usd_month == 5000  # JSON wins


def test_provider_lists_are_read_and_unknown_ones_refused() -> None:
    assert query.parse_scope("aws,azure") == "both" and query.parse_scope(" Azure ") == "azure"
    with pytest.raises(ValidationError, match="Unknown provider gcp"):
        query.parse_scope("aws,gcp")


def test_serverless_compute_against_a_database_connection_limit_is_a_conflict() -> None:
    c = query.build("an API for 20,000 requests per second on PostgreSQL", None)
    proposals = {d: rules.generate("azure", d, c, {}) for d in Domain}
    assert proposals[Domain.COMPUTE].content["service"] == "vmss"
    low = rules.generate("azure", Domain.COMPUTE, query.build("an API for 20 requests per second",
                                                              None), {})
    assert low.content["service"] == "functions-consumption"  # cheapest at low load
    proposals[Domain.COMPUTE] = rules.Proposal(Domain.COMPUTE, {**low.content}, "test")
    reduction = rules.reduce("azure", proposals, c)
    conflict = next(f for f in reduction.findings if f.check == "connections")
    assert conflict.outcome == Outcome.FAIL and not reduction.coherent
    assert "2,000" in conflict.reason and "1,700" in conflict.reason
    assert conflict.requirement == {"not_kinds": ["serverless"]} and conflict.remediation
    need = rules.requirements([rules.optimize(reduction.findings).blocking_issues])
    assert rules.generate("azure", Domain.COMPUTE, c, need["compute"]).content["kind"] == "vm"


def test_lambda_is_left_out_when_the_load_passes_its_concurrency_quota() -> None:
    c = query.build("an API for 50,000 requests per second", None)
    proposal = rules.generate("aws", Domain.COMPUTE, c, {"max_cost": 1})
    assert "Concurrent" not in proposal.rationale and "quota is 1,000" in proposal.rationale
    assert "could not meet the feedback" in proposal.rationale


def test_constraints_it_cannot_check_are_reported_never_passed() -> None:
    c = query.build("an API in the EU under 50 ms, HIPAA and GDPR", {"colour": "blue"})
    design = rules.reduce("aws", {d: rules.generate("aws", d, c, {}) for d in Domain}, c).design
    findings = {f.check: f for f in rules.validate("aws", design, c)}
    for check in ("latency", "compliance_hipaa", "compliance_gdpr", "unrecognised_constraint",
                  "availability", "budget"):
        assert findings[check].outcome == Outcome.WARN, check
    assert "cannot be checked" in findings["latency"].reason
    assert findings["data_residency"].outcome == Outcome.PASS


def test_every_failing_finding_says_how_to_fix_it() -> None:
    c = query.build(SCENARIO, {"budget_usd_month": 100})
    for provider in ("aws", "azure"):
        reduction = rules.reduce(provider, {d: rules.generate(provider, d, c, {})
                                            for d in Domain}, c)
        failing = [f for f in reduction.findings + rules.validate(provider, reduction.design, c)
                   if f.outcome == Outcome.FAIL]
        assert {f.check for f in failing} >= {"availability", "budget", "standby"}
        assert all(f.remediation and f.target for f in failing)


def test_a_passage_must_hold_every_term_and_is_cut_to_an_excerpt() -> None:
    text = "Intro.\n\nThe standby replica lives in another zone.\n\n| a | b |\n| 1,000 | x |"
    assert evidence.passage(text, ("standby", "zone")) == \
        "The standby replica lives in another zone."
    assert evidence.passage(text, ("standby", "missing")) is None
    assert evidence.passage(text, ("1,000",)) == "| 1,000 | x |"
    long = "word " * 400 + "needle " + "word " * 400
    cut = evidence.passage(long, ("needle",))
    assert cut is not None and "needle" in cut and len(cut) <= evidence.EXCERPT_CHARS + 2


@pytest.mark.parametrize("provider", ["aws", "azure"])
def test_availability_first_picks_the_highest_sla_where_cost_first_picks_the_cheapest(
        provider: str) -> None:
    cost_first = query.build(SCENARIO, None)
    available_first = dataclasses.replace(cost_first, priority=Priority.AVAILABILITY)
    picked = {c.priority: {d: rules.generate(provider, d, c, {}) for d in Domain}
              for c in (cost_first, available_first)}
    for domain in Domain:
        cheap = picked[Priority.COST][domain].content
        available = picked[Priority.AVAILABILITY][domain].content
        options, _ = rules.options(provider, domain, cost_first, {})
        assert cheap["monthly_usd"] == round(min(o[2] for o in options if not o[3]), 2)
        assert available["sla"] == max(o[0]["sla"] for o in options if not o[3])
    assert any(picked[Priority.COST][d].content["service"]
               != picked[Priority.AVAILABILITY][d].content["service"] for d in Domain)
    assert "the most available" in picked[Priority.AVAILABILITY][Domain.DATABASE].rationale
