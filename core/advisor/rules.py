"""The rule path, with no model: domain generators, the reducer, the validator's checks and the
optimizer, as pure functions over the catalogue.

- A **generator** proposes, for its domain, the cheapest catalogue service that can carry the
  load where the data may live and meets the requirements feedback added (a higher SLA, zone
  redundancy, a lower cost, another kind); with the query's priority "availability", the one
  with the highest SLA and most zones, then the cheapest. It does not weigh the whole design:
  availability, budget and cross-domain needs are the validator's, so a first proposal follows
  the priority and the loop raises what needs raising.
- The **reducer** combines the four proposals and checks them against each other: a region that
  offers every chosen service in the required geography, the database inside the network it
  needs, serverless compute against the database's connection limit, the total monthly cost.
- The **validator** checks the combined design against the query (availability target, budget,
  residency, latency, compliance words) and well-architected rules (zones, zone-redundant
  storage, a standby database). Every finding says why, and on a failure how to fix it; a
  finding that needs evidence names the official page (``doc``) that supports it. What it cannot
  check is a ``warn`` that says so, never a pass.
- The **optimizer** turns the failing findings into feedback: the domains to redo and what each
  must now meet.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from core.advisor import catalogue
from core.advisor.catalogue import DocRef
from core.advisor.query import Constraints
from db.models.advisor import Domain, FindingDomain, Outcome, Priority, Severity

CRITICAL_PATH = (Domain.COMPUTE, Domain.NETWORK, Domain.DATABASE)  # requests pass through these


class DomainFailure(Exception):
    """No service of the catalogue can serve this domain at all."""


@dataclass(frozen=True)
class Proposal:
    domain: Domain
    content: dict[str, Any]
    rationale: str
    dependencies: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Finding:
    domain: FindingDomain
    check: str
    outcome: Outcome
    severity: Severity
    reason: str
    remediation: str | None = None
    doc: DocRef | None = None  # the page that supports it (evidence required when set)
    target: Domain | None = None  # the domain that must change when it fails
    requirement: dict[str, Any] = field(default_factory=dict)  # what that domain must now meet

    @property
    def evidence_required(self) -> bool:
        return self.doc is not None


@dataclass(frozen=True)
class Reduction:
    design: dict[str, Any]
    assumptions: dict[str, Any]
    findings: list[Finding]

    @property
    def coherent(self) -> bool:
        return all(f.outcome != Outcome.FAIL for f in self.findings)


# --- generators --------------------------------------------------------------------------------

def monthly_cost(svc: dict[str, Any], units: int, c: Constraints) -> float:
    price = svc["price"]
    if "per_million_requests" in price:
        return c.rps * catalogue.assumption("seconds_per_month") / 1e6 \
            * price["per_million_requests"]
    if "per_gb" in price:
        gb = c.storage_gb if c.storage_gb is not None else catalogue.assumption(
            "default_storage_gb")
        return gb * price["per_gb"]
    if "per_1000_rps" in price:
        return price["base"] + price["per_1000_rps"] * c.rps / 1000
    return price["per_unit"] * units


def _units(svc: dict[str, Any], c: Constraints) -> int:
    capacity = svc.get("capacity", {}).get("rps_per_unit")
    if not capacity:
        return 1
    return max(int(svc["price"].get("min_units", 1)), math.ceil(c.rps / capacity))


def _regions(provider: str, svc: dict[str, Any], c: Constraints) -> list[str]:
    regions = catalogue.provider(provider)["regions"]
    return [r for r in svc["regions"] if c.residency is None or regions[r]["geo"] == c.residency]


def _meets(svc: dict[str, Any], cost: float, need: dict[str, Any]) -> list[str]:
    """What of ``need`` the service misses (empty: it meets all)."""
    missed = []
    if "min_sla" in need and svc["sla"] < need["min_sla"]:
        missed.append(f"SLA {svc['sla']}% < {need['min_sla']:.3f}%")
    if need.get("zone_redundant") and not svc.get("zone_redundant", svc.get("zones", 1) >= 2):
        missed.append("not zone-redundant")
    if "min_zones" in need and svc.get("zones", 1) < need["min_zones"]:
        missed.append(f"{svc.get('zones', 1)} zone(s) < {need['min_zones']}")
    if "max_cost" in need and cost >= need["max_cost"]:
        missed.append(f"${cost:,.0f}/month ≥ ${need['max_cost']:,.0f}")
    if svc["kind"] in need.get("not_kinds", ()):
        missed.append(f"kind {svc['kind']} ruled out")
    return missed


Option = tuple[dict[str, Any], int, float, list[str]]  # service, units, cost, what it misses


def options(provider: str, domain: Domain, c: Constraints,
            need: dict[str, Any]) -> tuple[list[Option], list[str]]:
    """The services that can serve the domain, best first among those missing least (cheapest,
    or with ``c.priority`` availability the highest SLA and most zones, then cheapest), and
    why the others were left out."""
    feasible: list[Option] = []
    excluded: list[str] = []
    for svc in catalogue.services(provider, domain):
        regions = _regions(provider, svc, c)
        if not regions:
            excluded.append(f"{svc['name']}: not offered in the {c.residency} regions")
            continue
        if domain == Domain.DATABASE and (c.engine or "postgresql") not in svc["engines"]:
            continue
        if domain == Domain.COMPUTE and svc["kind"] == "serverless":
            limit = svc.get("limits", {}).get("concurrency")
            needed = c.rps * catalogue.assumption("request_seconds")
            if limit and needed > limit:
                excluded.append(f"{svc['name']}: needs {needed:,.0f} concurrent executions, "
                                f"the quota is {limit:,}")
                continue
        units = _units(svc, c)
        cost = monthly_cost(svc, units, c)
        feasible.append((svc, units, cost, _meets(svc, cost, need)))
    if c.priority == Priority.AVAILABILITY:
        feasible.sort(key=lambda f: (len(f[3]), -f[0]["sla"], -f[0].get("zones", 1), f[2]))
    else:
        feasible.sort(key=lambda f: (len(f[3]), f[2]))
    return feasible, excluded


def proposal_of(provider: str, domain: Domain, c: Constraints, need: dict[str, Any],
                option: Option, why: str, excluded: list[str]) -> Proposal:
    svc, units, cost, missed = option
    content = {"service": svc["id"], "name": svc["name"], "kind": svc["kind"], "units": units,
               "monthly_usd": round(cost, 2), "sla": svc["sla"], "zones": svc.get("zones", 1),
               "regions": _regions(provider, svc, c), "requirements": need}
    reasons = [why]
    if need:
        reasons.append("meets the feedback: " + ", ".join(f"{k}={v}" for k, v in need.items())
                       if not missed else "could not meet the feedback: " + "; ".join(missed))
    reasons += [f"left out {e}" for e in excluded]
    return Proposal(domain, content, ". ".join(reasons) + ".",
                    ["network"] if domain == Domain.DATABASE else [])


def generate(provider: str, domain: Domain, c: Constraints, need: dict[str, Any]) -> Proposal:
    """The cheapest service that can serve the domain and meets ``need``; when none meets
    ``need``, the one that misses least (said in the rationale). DomainFailure when none can
    serve the domain at all."""
    feasible, excluded = options(provider, domain, c, need)
    if not feasible:
        what = f"the {c.engine} engine" if domain == Domain.DATABASE and c.engine else "this load"
        raise DomainFailure(f"No {provider} {domain} service in the catalogue can serve "
                            f"{what}" + (f" ({'; '.join(excluded)})" if excluded else "") + ".")
    svc = feasible[0][0]
    best = ("the most available" if c.priority == Priority.AVAILABILITY else "the cheapest")
    why = (f"{svc['name']}: {best} option that serves {c.rps:,.0f} requests per second"
           if domain == Domain.COMPUTE else f"{svc['name']}: {best} suitable option")
    return proposal_of(provider, domain, c, need, feasible[0], why, excluded)


# --- reducer -----------------------------------------------------------------------------------

def reduce(provider: str, proposals: dict[Domain, Proposal], c: Constraints) -> Reduction:
    design: dict[str, Any] = {d.value: p.content for d, p in proposals.items()}
    findings: list[Finding] = []
    missing = [d for d in Domain if d not in proposals]
    regions = set(catalogue.provider(provider)["regions"])
    for p in proposals.values():
        regions &= set(p.content["regions"])
    names = catalogue.provider(provider)["regions"]
    region = sorted(regions)[0] if regions else None
    if region is None:
        findings.append(Finding(
            FindingDomain.CROSS_DOMAIN, "region", Outcome.FAIL, Severity.CRITICAL,
            "No region offers every chosen service" + (f" in {c.residency}" if c.residency
                                                       else "") + ".",
            "Choose services offered together in one region of the required geography.",
            target=Domain.COMPUTE))
    else:
        findings.append(Finding(
            FindingDomain.CROSS_DOMAIN, "region", Outcome.PASS, Severity.HIGH,
            f"{region} ({names[region]['name']}) offers every chosen service "
            f"(catalogue of {catalogue.dated()})."))
    net, db, comp = (proposals.get(Domain.NETWORK), proposals.get(Domain.DATABASE),
                     proposals.get(Domain.COMPUTE))
    if net and db:
        net_svc = catalogue.service(provider, "network", net.content["service"])
        db_svc = catalogue.service(provider, "database", db.content["service"])
        lacking = [r for r in db_svc.get("requires", []) if r not in net_svc.get("provides", [])]
        doc = DocRef.of(net_svc["network_doc"]) if "network_doc" in net_svc else None
        if lacking:
            findings.append(Finding(
                FindingDomain.CROSS_DOMAIN, "database_network", Outcome.FAIL, Severity.CRITICAL,
                f"{db_svc['name']} needs {', '.join(lacking)}, which {net_svc['name']} does "
                "not provide.", "Place the database in private subnets of the network.",
                doc=doc, target=Domain.NETWORK))
        elif db_svc.get("requires"):
            findings.append(Finding(
                FindingDomain.CROSS_DOMAIN, "database_network", Outcome.PASS, Severity.HIGH,
                f"{db_svc['name']} sits in private subnets of {net_svc['name']}, reachable "
                "from the compute tier by private address only.", doc=doc))
    if comp and db:
        comp_svc = catalogue.service(provider, "compute", comp.content["service"])
        db_svc = catalogue.service(provider, "database", db.content["service"])
        limit = db_svc.get("limits", {}).get("max_connections")
        concurrent = c.rps * catalogue.assumption("request_seconds")
        if comp_svc["kind"] == "serverless" and limit and concurrent > 0.8 * limit:
            findings.append(Finding(
                FindingDomain.CROSS_DOMAIN, "connections", Outcome.FAIL, Severity.HIGH,
                f"{comp_svc['name']} opens a connection per concurrent execution: about "
                f"{concurrent:,.0f} at {c.rps:,.0f} requests per second, against "
                f"{db_svc['name']}'s limit of about {limit:,} connections.",
                "Run the API on long-lived containers or VMs that pool connections (or put a "
                "connection proxy in front of the database).",
                doc=DocRef.of(comp_svc["doc"]), target=Domain.COMPUTE,
                requirement={"not_kinds": ["serverless"]}))
        elif limit:
            findings.append(Finding(
                FindingDomain.CROSS_DOMAIN, "connections", Outcome.PASS, Severity.MEDIUM,
                f"{comp_svc['name']} keeps pooled connections; about {concurrent:,.0f} requests "
                f"in flight stay within {db_svc['name']}'s limit of about {limit:,} "
                "connections (catalogue figure)."))
    total = round(sum(p.content["monthly_usd"] for p in proposals.values()), 2)
    design.update(region=region, region_name=names[region]["name"] if region else None,
                  monthly_usd=total, partial=bool(missing),
                  missing=[d.value for d in missing])
    assumptions = {"requests_per_second": c.rps, "request_seconds":
                   catalogue.assumption("request_seconds"),
                   "storage_gb": c.storage_gb if c.storage_gb is not None
                   else catalogue.assumption("default_storage_gb"),
                   "catalogue_date": catalogue.dated()}
    return Reduction(design, assumptions, findings)


# --- validator ---------------------------------------------------------------------------------

def _svc(provider: str, design: dict[str, Any], domain: Domain) -> dict[str, Any]:
    return catalogue.service(provider, domain, design[domain.value]["service"])


def validate(provider: str, design: dict[str, Any], c: Constraints) -> list[Finding]:
    out: list[Finding] = []
    present = [d for d in Domain if d.value in design]
    slas = {d: design[d.value]["sla"] for d in CRITICAL_PATH if d in present}
    composite = math.prod(s / 100 for s in slas.values()) * 100
    if c.availability is not None and slas:
        weakest = min(slas, key=lambda d: (slas[d], d != Domain.DATABASE))  # ties: the database
        others = math.prod(s / 100 for d, s in slas.items() if d != weakest)
        needed = c.availability / others if others else c.availability
        svc = _svc(provider, design, weakest)
        if composite >= c.availability:
            out.append(Finding(
                FindingDomain(weakest), "availability", Outcome.PASS, Severity.CRITICAL,
                f"Composite availability of the request path {composite:.3f}% "
                f"({' × '.join(f'{d} {s}%' for d, s in slas.items())}) meets the "
                f"{c.availability}% target.", doc=DocRef.of(svc["doc"])))
        else:
            out.append(Finding(
                FindingDomain(weakest), "availability", Outcome.FAIL, Severity.CRITICAL,
                f"Composite availability {composite:.3f}% is below the {c.availability}% "
                f"target; the weakest part is {svc['name']} at {svc['sla']}%.",
                f"Give the {weakest} tier an SLA of at least {needed:.3f}% (a deployment with a "
                "standby or replicas in other availability zones).",
                doc=DocRef.of(svc["doc"]), target=weakest,
                requirement={"min_sla": round(needed, 4)}))
    elif slas:
        out.append(Finding(
            FindingDomain.CROSS_DOMAIN, "availability", Outcome.WARN, Severity.MEDIUM,
            f"No availability target was given, so none was checked (the request path's "
            f"composite SLA is {composite:.3f}%)."))
    if Domain.COMPUTE in present:
        svc = _svc(provider, design, Domain.COMPUTE)
        zones = svc.get("zones", 1)
        out.append(Finding(
            FindingDomain.COMPUTE, "zones", Outcome.PASS if zones >= 2 else Outcome.FAIL,
            Severity.HIGH,
            f"{svc['name']} {'spreads' if zones >= 2 else 'does not spread'} instances over "
            "availability zones (well-architected reliability: no single zone as a single point "
            "of failure).",
            None if zones >= 2 else "Run the compute tier across at least two zones.",
            doc=DocRef.of(svc["doc"]), target=Domain.COMPUTE, requirement={"min_zones": 2}))
    if Domain.STORAGE in present:
        svc = _svc(provider, design, Domain.STORAGE)
        ok = bool(svc.get("zone_redundant"))
        out.append(Finding(
            FindingDomain.STORAGE, "zone_redundant_storage", Outcome.PASS if ok else Outcome.FAIL,
            Severity.MEDIUM,
            f"{svc['name']} keeps "
            f"{'copies in several availability zones' if ok else 'every copy in one zone'}.",
            None if ok else "Use zone-redundant storage for data the service needs.",
            doc=DocRef.of(svc["doc"]), target=Domain.STORAGE,
            requirement={"zone_redundant": True}))
    if Domain.DATABASE in present:
        svc = _svc(provider, design, Domain.DATABASE)
        ok = svc.get("zones", 1) >= 2
        out.append(Finding(
            FindingDomain.DATABASE, "standby", Outcome.PASS if ok else Outcome.FAIL,
            Severity.HIGH,
            f"{svc['name']} {'keeps a' if ok else 'has no'} standby in another availability "
            "zone.", None if ok else "Deploy the database with a standby in another zone "
            "(Multi-AZ / zone-redundant high availability).",
            doc=DocRef.of(svc["doc"]), target=Domain.DATABASE, requirement={"min_zones": 2}))
    total = design.get("monthly_usd", 0.0)
    if c.budget_usd_month is not None:
        costs = {d: design[d.value]["monthly_usd"] for d in present}
        dearest = max(costs, key=lambda d: costs[d])
        ok = total <= c.budget_usd_month
        out.append(Finding(
            FindingDomain.CROSS_DOMAIN, "budget", Outcome.PASS if ok else Outcome.FAIL,
            Severity.HIGH,
            f"Estimated ${total:,.0f} a month against a budget of ${c.budget_usd_month:,.0f} "
            f"(rough list prices from the catalogue of {catalogue.dated()}, not a quote).",
            None if ok else f"Cut the cost of the {dearest} tier (now ${costs[dearest]:,.0f} a "
            "month) or raise the budget.",
            target=dearest, requirement={"max_cost": costs[dearest]}))
    else:
        out.append(Finding(FindingDomain.CROSS_DOMAIN, "budget", Outcome.WARN, Severity.LOW,
                           f"No budget was given; the estimate is ${total:,.0f} a month."))
    if c.residency is not None:
        region = design.get("region")
        geo = catalogue.provider(provider)["regions"].get(region or "", {}).get("geo")
        out.append(Finding(
            FindingDomain.CROSS_DOMAIN, "data_residency",
            Outcome.PASS if geo == c.residency else Outcome.FAIL, Severity.CRITICAL,
            f"Data stays in {design.get('region_name') or 'no region'} ({c.residency.upper()} "
            "residency required).",
            None if geo == c.residency else f"Deploy in a {c.residency.upper()} region.",
            target=Domain.DATABASE))
    if c.latency_ms is not None:
        out.append(Finding(
            FindingDomain.CROSS_DOMAIN, "latency", Outcome.WARN, Severity.MEDIUM,
            f"The {c.latency_ms:g} ms latency bound cannot be checked from the catalogue: it "
            "needs a load test of the deployed design."))
    for word in c.compliance:
        if word == "GDPR":
            reason = ("GDPR: only data residency is checked here; processing agreements, "
                      "retention and subject rights are not.")
        else:
            reason = (f"{word}: recognised, but the catalogue holds no eligibility data, so it "
                      "was not checked: see the provider's compliance programme.")
        out.append(Finding(FindingDomain.CROSS_DOMAIN, f"compliance_{word.lower()[:40]}",
                           Outcome.WARN, Severity.MEDIUM, reason))
    for key in sorted(c.unknown):
        out.append(Finding(FindingDomain.CROSS_DOMAIN, "unrecognised_constraint", Outcome.WARN,
                           Severity.LOW, f"The constraint {key!r} is not one the advisor "
                           "understands; it was not checked."))
    if provider == "azure" and (principle := catalogue.provider(provider).get("principles", {})
                                .get("reliability")) and composite and slas:
        redundant = all(design[d.value].get("zones", 1) >= 2 for d in slas)
        out.append(Finding(
            FindingDomain.CROSS_DOMAIN, "redundancy_in_layers",
            Outcome.PASS if redundant else Outcome.FAIL, Severity.MEDIUM,
            "Well-Architected reliability: every tier of the request path is "
            f"{'redundant across zones' if redundant else 'not yet redundant across zones'}.",
            None if redundant else "Make each tier of the request path zone-redundant.",
            doc=DocRef.of(principle), target=Domain.DATABASE, requirement={"min_zones": 2}))
    return out


# --- optimizer ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Feedback:
    target_domains: list[str]
    instructions: str
    blocking_issues: list[dict[str, Any]]


def optimize(findings: list[Finding]) -> Feedback:
    """Feedback from the failing findings: per target domain, what it must now meet."""
    failing = [f for f in findings if f.outcome == Outcome.FAIL]
    targets = sorted({(f.target or Domain.COMPUTE).value for f in failing})
    issues = [{"check": f.check, "domain": (f.target or Domain.COMPUTE).value,
               "reason": f.reason, "remediation": f.remediation,
               "requirement": f.requirement} for f in failing]
    lines = [f"{i['domain']}: {i['remediation']}" for i in issues]
    return Feedback(targets, "\n".join(lines), issues)


def requirements(feedback: list[list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """What each domain must meet, from all feedback so far (later feedback tightens)."""
    need: dict[str, dict[str, Any]] = {}
    for issues in feedback:
        for issue in issues:
            mine = need.setdefault(issue["domain"], {})
            for key, value in (issue.get("requirement") or {}).items():
                if key == "min_sla" or key == "min_zones":
                    mine[key] = max(mine.get(key, value), value)
                elif key == "max_cost":
                    mine[key] = min(mine.get(key, value), value)
                elif key == "not_kinds":
                    mine[key] = sorted(set(mine.get(key, [])) | set(value))
                else:
                    mine[key] = value
    return need
