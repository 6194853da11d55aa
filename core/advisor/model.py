"""With a model provider configured (the query owner's, ``core.llm``), the domain generators, the
validator and the optimizer each ask the model, and its answers shape the design:

- a **generator** asks which feasible catalogue service to propose; a valid pick becomes the
  domain's proposal;
- the **validator** asks for findings the rules do not make; each must cite one of the
  provider's official pages of the catalogue and quote the words that state it. The rule path
  fetches the page (``evidence``) and keeps the finding only when one passage holds every quoted
  phrase; a kept ``fail`` blocks acceptance and carries a requirement for its domain;
- the **optimizer** asks for the feedback: which domains to redo and what each must now meet.
  It must cover every domain the rules' feedback targets; its requirements join the rules'.

Every answer is a JSON object checked against a JSON Schema (plus a few checks a schema cannot
say). An invalid answer is sent back once with the reason (the *repair*); a second invalid
answer is refused, and the rule path stands, with the reason recorded (in the proposal's
rationale, a ``model_review`` finding, or the feedback). A model that cannot be reached is asked
no more in that iteration: the rule path runs on. Every call is costed in the ledger for the
provider run and its node (``core.llm.with_model``), refused answers too (they were paid).

The rules stay the judge: the reducer, the required checks and the evidence never come from the
model, and acceptance still needs every required finding to pass with evidence available.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jsonschema import Draft202012Validator

from core.platform import standard_json
from core.advisor import catalogue, rules
from core.advisor.catalogue import DocRef
from core.advisor.query import Constraints
from core.llm.calls import with_model
from core.llm.client import ChatClient, Usage
from core.llm.errors import ModelError, ModelUnavailable
from core.platform.database import Database
from db.models.advisor import Domain, FindingDomain, Outcome, Severity

MAX_FINDINGS = 6
Check = Callable[[dict[str, Any]], str | None]  # a problem a schema cannot state, or None


@dataclass(frozen=True)
class Answer:
    """One node's exchange with the model: the accepted JSON answer, or why it was refused
    (then the rule path stands). ``repaired``: the first answer was invalid, the second not."""

    value: dict[str, Any] | None
    refused: str | None = None
    repaired: bool = False
    tokens: int = 0


@dataclass
class Asker:
    """Asks the model for one provider run (its owner's provider), costing each call to the run
    and the node; once the model cannot be reached, it is not asked again (``down``)."""

    database: Database
    owner: uuid.UUID
    run_id: uuid.UUID
    provider: str
    down: str | None = None
    configured: bool = True

    def ask(self, node: str, system: str, payload: dict[str, Any], schema: dict[str, Any],
            check: Check | None = None) -> Answer | None:
        """The model's answer for ``node``; None when the owner has no model."""
        if not self.configured:
            return None
        if self.down is not None:
            return Answer(None, f"the model was not asked: {self.down}")
        try:
            answer = with_model(self.database, self.owner,
                                lambda client: ask_json(client, system, payload, schema, check),
                                advisor_run_id=self.run_id, node=node)
        except ModelUnavailable as exc:
            self.down = f"it could not be reached ({str(exc)[:300]})"
            return Answer(None, f"the model call failed: {str(exc)[:300]}")
        except ModelError as exc:
            return Answer(None, f"the model call failed: {str(exc)[:300]}")
        if answer is None:
            self.configured = False
        return answer


def _problem(content: str, schema: dict[str, Any],
             check: Check | None) -> tuple[str | None, dict[str, Any] | None]:
    try:
        answer = standard_json.loads(content)  # NaN, 1e999: not JSON (it is stored)
    except ValueError:
        return "the answer is not JSON", None
    errors = sorted(Draft202012Validator(schema).iter_errors(answer), key=lambda e: e.path)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path)
        return (f"the answer breaks the schema{' at ' + where if where else ''}: "
                f"{errors[0].message[:200]}"), None
    assert isinstance(answer, dict)  # every schema here is an object
    problem = check(answer) if check is not None else None
    return problem, None if problem else answer


def ask_json(client: ChatClient, system: str, payload: dict[str, Any], schema: dict[str, Any],
             check: Check | None = None) -> tuple[Answer, Usage]:
    """Ask; an invalid answer is sent back once with its problem; a second one is refused."""
    messages = [{"role": "system", "content": system + " Answer with one JSON object that "
                 "follows this JSON Schema: " + json.dumps(schema)},
                {"role": "user", "content": json.dumps(payload)}]
    usage: Usage | None = None
    problem: str | None = None
    for attempt in (1, 2):
        try:
            completion = client.complete(messages)
        except ModelError as exc:
            if usage is not None:  # the first answer was paid for: keep it in the ledger
                exc.usage = usage if exc.usage is None else usage + exc.usage
            raise
        usage = completion.usage if usage is None else usage + completion.usage
        problem, answer = _problem(completion.content, schema, check)
        tokens = usage.input_tokens + usage.output_tokens
        if answer is not None:
            return Answer(answer, None, attempt == 2, tokens), usage
        messages += [{"role": "assistant", "content": completion.content[:4000]},
                     {"role": "user", "content": f"That answer is invalid: {problem}. Answer "
                      "again with only the JSON object the schema asks for."}]
    assert usage is not None
    return Answer(None, f"{problem} (also after one repair)", True,
                  usage.input_tokens + usage.output_tokens), usage


# --- generators --------------------------------------------------------------------------------

GENERATOR = ("You are a cloud architect. Choose one service for the {domain} tier of a {provider} "
             "design from the options given (by id), for the request, its constraints and the "
             "feedback so far (an option that 'misses' something fails the feedback).")


@dataclass(frozen=True)
class Pick:
    """What the model answered for one domain: a service id, or why the answer was refused."""

    service: str | None
    rationale: str
    refused: str | None = None
    tokens: int = 0
    repaired: bool = False


def generator_schema(ids: list[str]) -> dict[str, Any]:
    return {"type": "object", "required": ["service", "rationale"],
            "additionalProperties": False,
            "properties": {"service": {"enum": ids},
                           "rationale": {"type": "string", "minLength": 1, "maxLength": 2000}}}


def pick(asker: Asker, domain: Domain, text: str, c: Constraints,
         need: dict[str, Any]) -> Pick | None:
    """The model's pick for ``domain``; None without a model (or with no feasible option)."""
    feasible, _excluded = rules.options(asker.provider, domain, c, need)
    if not feasible:
        return None
    choices = [{"id": s["id"], "name": s["name"], "kind": s["kind"], "sla": s["sla"],
                "zones": s.get("zones", 1), "monthly_usd": round(cost), "misses": missed}
               for s, _units, cost, missed in feasible]
    misses = {s["id"]: missed for s, _u, _c, missed in feasible}

    def meets_feedback(answer: dict[str, Any]) -> str | None:
        missed = misses[answer["service"]]
        return f"{answer['service']} misses the feedback: " + "; ".join(missed) if missed \
            else None

    answer = asker.ask(domain.value, GENERATOR.format(domain=domain, provider=asker.provider),
                       {"request": text, "constraints": c.to_json(), "feedback": need,
                        "options": choices},
                       generator_schema([ch["id"] for ch in choices]), meets_feedback)
    if answer is None:
        return None
    if answer.value is None:
        return Pick(None, "", answer.refused, answer.tokens, answer.repaired)
    return Pick(answer.value["service"], answer.value["rationale"], None, answer.tokens,
                answer.repaired)


# --- validator ---------------------------------------------------------------------------------

VALIDATOR = ("You review a {provider} cloud design against the request. The rule-based "
             "validator's findings are given; add at most {n} findings it does not make (risks, "
             "limits, well-architected gaps). Each must cite one of the official pages given "
             "(its 'doc') and quote, in 'quote', one to three short phrases that one paragraph "
             "of that page states word for word: a finding whose page does not state them is "
             "dropped. A 'fail' must name the domain to change ('target'), the fix "
             "('remediation') and what that domain must now meet ('requirement').")
REQUIREMENT: dict[str, Any] = {
    "type": "object", "additionalProperties": False, "minProperties": 1,
    "properties": {"min_sla": {"type": "number", "minimum": 90, "maximum": 100},
                   "min_zones": {"type": "integer", "minimum": 2, "maximum": 3},
                   "zone_redundant": {"const": True},
                   "max_cost": {"type": "number", "minimum": 0},
                   "not_kinds": {"type": "array", "maxItems": 5, "uniqueItems": True,
                                 "items": {"type": "string", "pattern": "^[a-z_]{2,40}$"}}}}


def docs_offered(provider: str) -> dict[str, DocRef]:
    """The provider's official pages the catalogue cites, by path (what the model may cite)."""
    found: dict[str, DocRef] = {}
    data = catalogue.provider(provider)
    for services in data["services"].values():
        for svc in services:
            for key in ("doc", "network_doc"):
                if key in svc:
                    ref = DocRef.of(svc[key])
                    found.setdefault(ref.path, ref)
    for principle in data.get("principles", {}).values():
        ref = DocRef.of(principle)
        found.setdefault(ref.path, ref)
    return found


def validator_schema(paths: list[str]) -> dict[str, Any]:
    finding = {
        "type": "object", "additionalProperties": False,
        "required": ["domain", "check", "outcome", "severity", "reason", "doc", "quote"],
        "properties": {
            "domain": {"enum": [d.value for d in FindingDomain]},
            "check": {"type": "string", "pattern": "^[a-z][a-z0-9_]{2,40}$"},
            "outcome": {"enum": [o.value for o in Outcome]},
            "severity": {"enum": [s.value for s in Severity]},
            "reason": {"type": "string", "minLength": 1, "maxLength": 600},
            "remediation": {"type": "string", "maxLength": 600},
            "doc": {"enum": paths},
            "quote": {"type": "array", "minItems": 1, "maxItems": 3,
                      "items": {"type": "string", "minLength": 3, "maxLength": 120}},
            "target": {"enum": [d.value for d in Domain]},
            "requirement": REQUIREMENT}}
    return {"type": "object", "required": ["findings"], "additionalProperties": False,
            "properties": {"findings": {"type": "array", "maxItems": MAX_FINDINGS,
                                        "items": finding}}}


def _fails_are_actionable(answer: dict[str, Any]) -> str | None:
    for i, f in enumerate(answer["findings"]):
        if f["outcome"] == Outcome.FAIL and not (
                f.get("remediation", "").strip() and f.get("target") and f.get("requirement")):
            return (f"findings/{i} fails but lacks a remediation, a target or a requirement "
                    "(each is required on a fail)")
    return None


@dataclass(frozen=True)
class Claim:
    """A finding the model proposed; it becomes a ``rules.Finding`` only if its page states it."""

    finding: rules.Finding
    doc: DocRef  # the cited page, with the quoted phrases as the terms a passage must hold


@dataclass(frozen=True)
class Review:
    claims: list[Claim]
    refused: str | None = None
    repaired: bool = False
    notes: list[str] = field(default_factory=list)


def review(asker: Asker, text: str, c: Constraints, design: dict[str, Any],
           findings: list[rules.Finding]) -> Review | None:
    """The model's findings on the design, to be judged on evidence; None without a model."""
    offered = docs_offered(asker.provider)
    answer = asker.ask("validator", VALIDATOR.format(provider=asker.provider, n=MAX_FINDINGS),
                       {"request": text, "constraints": c.to_json(), "design": design,
                        "rule_findings": [{"check": f.check, "domain": f.domain,
                                           "outcome": f.outcome, "reason": f.reason}
                                          for f in findings],
                        "pages": [{"doc": p, "title": d.title} for p, d in offered.items()]},
                       validator_schema(sorted(offered)), _fails_are_actionable)
    if answer is None:
        return None
    if answer.value is None:
        return Review([], answer.refused, answer.repaired)
    claims = []
    for f in answer.value["findings"]:
        page = offered[f["doc"]]
        fails = f["outcome"] == Outcome.FAIL
        claims.append(Claim(rules.Finding(
            FindingDomain(f["domain"]), f"model_{f['check']}"[:60], Outcome(f["outcome"]),
            Severity(f["severity"]), f"{f['reason'].strip()} (the model's finding)",
            f.get("remediation", "").strip() or None,
            doc=DocRef(page.path, page.title, tuple(f["quote"])),
            target=Domain(f["target"]) if f.get("target") else None,
            requirement=dict(f.get("requirement") or {}) if fails else {}),
            DocRef(page.path, page.title, tuple(f["quote"]))))
    return Review(claims, None, answer.repaired)


# --- optimizer ---------------------------------------------------------------------------------

OPTIMIZER = ("You are the optimizer of a {provider} cloud design. Given the failing findings and "
             "the rule-based feedback, write the feedback for the next iteration: the domains "
             "to redo (every domain the rule-based feedback targets, and any other you think "
             "must change), instructions in a few sentences, and per domain what it must now "
             "meet ('requirements').")


def optimizer_schema() -> dict[str, Any]:
    domains = [d.value for d in Domain]
    return {"type": "object", "required": ["target_domains", "instructions"],
            "additionalProperties": False,
            "properties": {
                "target_domains": {"type": "array", "minItems": 1, "uniqueItems": True,
                                   "items": {"enum": domains}},
                "instructions": {"type": "string", "minLength": 1, "maxLength": 2000},
                "requirements": {"type": "object", "additionalProperties": False,
                                 "properties": {d: REQUIREMENT for d in domains}}}}


@dataclass(frozen=True)
class Advice:
    feedback: rules.Feedback
    refused: str | None = None


def optimize(asker: Asker, text: str, findings: list[rules.Finding],
             ruled: rules.Feedback) -> Advice | None:
    """The model's feedback, merged with the rules' (whose blocking issues always stay); None
    without a model."""
    def covers_rules(answer: dict[str, Any]) -> str | None:
        left_out = sorted(set(ruled.target_domains) - set(answer["target_domains"]))
        if left_out:
            return ("target_domains leaves out " + ", ".join(left_out)
                    + ", which failing checks target")
        return None

    answer = asker.ask("optimizer", OPTIMIZER.format(provider=asker.provider),
                       {"request": text,
                        "failing_findings": [{"check": f.check, "domain": f.domain,
                                              "reason": f.reason, "remediation": f.remediation}
                                             for f in findings if f.outcome == Outcome.FAIL],
                        "rule_feedback": {"target_domains": ruled.target_domains,
                                          "instructions": ruled.instructions,
                                          "requirements": {i["domain"]: i["requirement"]
                                                           for i in ruled.blocking_issues}}},
                       optimizer_schema(), covers_rules)
    if answer is None:
        return None
    if answer.value is None:
        return Advice(rules.Feedback(
            ruled.target_domains, ruled.instructions + f"\n(The model's feedback was refused: "
            f"{answer.refused}; this is the rule-based feedback.)", ruled.blocking_issues),
            answer.refused)
    value = answer.value
    requirements: dict[str, dict[str, Any]] = value.get("requirements") or {}
    issues = list(ruled.blocking_issues) + [
        {"check": "model_feedback", "domain": d, "reason": "The model's feedback.",
         "remediation": value["instructions"].strip(), "requirement": req}
        for d, req in sorted(requirements.items())]
    targets = sorted(set(value["target_domains"]) | set(ruled.target_domains) | set(requirements))
    return Advice(rules.Feedback(
        targets, value["instructions"].strip() + "\n(The model's feedback. The checks it must "
        "fix:)\n" + ruled.instructions, issues))
