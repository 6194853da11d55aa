"""ScrapeDeck's own capabilities as agents: each takes a JSON input and returns a JSON output,
with real schemas, called in the worker's process instead of over HTTP, acting as the job's
creator (their access rules, their runs and crawls).

    extract-pages   fetch pages (the engine's URL rules) and extract records zero-shot with a
                    schema of one record
    seo-audit       audit one page with Lighthouse's SEO rules
    run-job         start a run of one of your scraping jobs, wait for it, return its items
    crawl-site      crawl a site for SEO (breadth-first, robots.txt obeyed), return its findings

The architecture advisor is not an agent yet: it does not exist in ScrapeDeck so far.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.platform.access import Actor
from core.platform.database import Database
from core.platform.errors import ScrapeDeckError

MAX_PAGES = 20
MAX_ITEMS = 1000
POLL_SECONDS = 0.5
T = TypeVar("T")


@dataclass
class CallContext:
    """Who a built-in acts for, the database it reaches, and what its own fetching spent (a
    run's or a crawl's costs are charged to that run or crawl by the ledger already)."""

    database: Database
    actor: Actor
    requests: int = 0
    bytes_fetched: int = 0

    def spent(self, requests: int, bytes_fetched: int) -> None:
        self.requests += requests
        self.bytes_fetched += bytes_fetched


@dataclass(frozen=True)
class BuiltinAgent:
    key: str
    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any]
    keywords: list[str] = field(default_factory=list)
    call: Callable[[dict[str, Any], CallContext], Any] = field(
        default=lambda _input, _context: None, repr=False)


def _extract_pages(job_input: dict[str, Any], context: CallContext) -> dict[str, Any]:
    from core.analysis.direct import extract_with_schema
    from core.scrape.fetch import Fetcher
    from core.scrape.options import FetchOptions

    schema = job_input.get("schema") or {
        "type": "object", "properties": {name: {"type": "string"}
                                         for name in job_input.get("fields") or ["name"]}}

    async def fetch_all() -> list[Any]:
        async with Fetcher(FetchOptions()) as fetcher:
            return list(await asyncio.gather(*(fetcher.fetch(u) for u in job_input["urls"])))

    items: list[dict[str, Any]] = []
    pages: list[dict[str, Any]] = []
    for url, page in zip(job_input["urls"], asyncio.run(fetch_all()), strict=True):
        context.spent(page.attempts, page.n_bytes)
        if not page.ok:
            pages.append({"url": url, "ok": False, "error": page.error, "items": 0})
            continue
        found = extract_with_schema(page.text, page.final_url, schema)
        records = found if isinstance(found, list) else ([found] if any(
            v not in (None, "", []) for v in found.values()) else [])
        items.extend(records)
        pages.append({"url": url, "ok": True, "error": None, "items": len(records)})
    return {"items": items, "pages": pages}


def _seo_audit(job_input: dict[str, Any], context: CallContext) -> dict[str, Any]:
    from core.seo.audit import audit_url_async

    audit = asyncio.run(audit_url_async(job_input["url"]))
    context.spent(2 + len(audit.redirects), audit.page_bytes or 0)  # the page and robots.txt
    failing = [{"id": r.id, "title": r.title} for r in audit.failed]
    return {"url": audit.url, "score": audit.score, "status_code": audit.status_code,
            "error": audit.error, "failing": failing}


def _wait(context: CallContext, read: Callable[[Any], T], done: Callable[[T], bool],
          minutes: float, what: str) -> T:
    """Poll ``read(session)`` until ``done``; the job's heartbeat goes on meanwhile."""
    deadline = time.monotonic() + minutes * 60
    while True:
        with context.database.transaction() as session:
            value = read(session)
        if done(value):
            return value
        if time.monotonic() > deadline:
            raise ScrapeDeckError(f"The {what} did not finish within {minutes:g} minutes.")
        time.sleep(POLL_SECONDS)


def _run_job(job_input: dict[str, Any], context: CallContext) -> dict[str, Any]:
    from core.scraping import results, runs

    with context.database.transaction() as session:
        started = runs.start_run(session, context.actor, job_input["job_id"])
    run = _wait(context, lambda s: runs.get_run(s, context.actor, started.id),
                lambda r: not r.active, job_input.get("max_minutes", 30), "run")
    with context.database.transaction() as session:
        page = results.query_results(session, context.actor, results.ResultQuery(
            run_id=run.id, page_size=min(job_input.get("max_items", 200), MAX_ITEMS)))
    meta = set(results.META_COLUMNS)
    items = [{k: v for k, v in row.items() if k not in meta}
             for row in page.frame.to_dict("records")]
    return {"run_id": str(run.id), "status": run.status, "pages_fetched": run.pages_fetched,
            "items_found": run.items_found, "items_stored": run.items_extracted,
            "errors": run.errors_count, "error": run.error_message, "items": items}


def _crawl_site(job_input: dict[str, Any], context: CallContext) -> dict[str, Any]:
    from core.seo import crawls

    with context.database.transaction() as session:
        started = crawls.start_crawl(session, context.actor, job_input["url"],
                                     job_input.get("max_pages", 50))
    crawl = _wait(context, lambda s: crawls.get_crawl(s, context.actor, started.id),
                  lambda c: not c.active, job_input.get("max_minutes", 30), "crawl")
    with context.database.transaction() as session:
        findings = crawls.crawl_findings(session, context.actor, crawl.id)
    return {"crawl_id": str(crawl.id), "status": crawl.status,
            "pages_crawled": crawl.pages_crawled, "error": crawl.error_message,
            "findings": [{"finding": r.finding, "severity": r.severity, "title": r.title,
                          "count": int(r.count)} for r in findings.itertuples()]}


def _ask_advisor(job_input: dict[str, Any], context: CallContext) -> dict[str, Any]:
    from core.advisor import records

    with context.database.transaction() as session:
        asked = records.ask(session, context.actor, job_input["text"],
                            job_input.get("providers", "both"), job_input.get("constraints"))
    view = _wait(context, lambda s: records.show(s, context.actor, asked.query_id),
                 lambda v: not v.active, job_input.get("max_minutes", 10), "advisor")
    runs = []
    for run in view.runs:
        last = run.iterations[-1] if run.iterations else None
        runs.append({
            "provider": run.provider, "status": run.status,
            "terminal_reason": run.terminal_reason, "iterations": run.iteration_count,
            "explanation": records.explain(run.terminal_reason, run.status),
            "design": {d: p["content"]["name"] for d, p in last.proposals.items()} if last else {},
            "failing": [f.reason for f in last.findings if f.outcome == "fail"] if last else []})
    return {"query_id": str(view.id), "runs": runs}


_MINUTES = {"type": "number", "exclusiveMinimum": 0, "maximum": 120}
_RECORD_SCHEMA = {"type": "object", "description": "JSON Schema of one record",
                  "properties": {"properties": {"type": "object"}}, "required": ["properties"]}

BUILTINS: dict[str, BuiltinAgent] = {agent.key: agent for agent in (
    BuiltinAgent(
        key="extract-pages", name="ScrapeDeck extractor",
        description="Fetches up to 20 pages and extracts records from each, zero-shot, following "
                    "a schema of one record (or a list of field names).",
        input_schema={
            "type": "object", "required": ["urls"], "additionalProperties": False,
            "properties": {
                "urls": {"type": "array", "minItems": 1, "maxItems": MAX_PAGES,
                         "items": {"type": "string", "pattern": "^https?://"}},
                "schema": _RECORD_SCHEMA,
                "fields": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            }},
        output_schema={
            "type": "object", "required": ["items", "pages"],
            "properties": {
                "items": {"type": "array", "items": {"type": "object"}},
                "pages": {"type": "array", "items": {
                    "type": "object", "required": ["url", "ok", "items"],
                    "properties": {"url": {"type": "string"}, "ok": {"type": "boolean"},
                                   "error": {"type": ["string", "null"]},
                                   "items": {"type": "integer"}}}},
            }},
        keywords=["extract", "scrape", "products", "items", "records", "pages", "data"],
        call=_extract_pages),
    BuiltinAgent(
        key="seo-audit", name="ScrapeDeck SEO audit",
        description="Audits one page with Lighthouse's SEO rules: score and failing audits.",
        input_schema={"type": "object", "required": ["url"], "additionalProperties": False,
                      "properties": {"url": {"type": "string", "pattern": "^https?://"}}},
        output_schema={
            "type": "object", "required": ["url", "score", "failing"],
            "properties": {
                "url": {"type": "string"}, "score": {"type": ["number", "null"]},
                "status_code": {"type": ["integer", "null"]},
                "error": {"type": ["string", "null"]},
                "failing": {"type": "array", "items": {
                    "type": "object", "properties": {"id": {"type": "string"},
                                                     "title": {"type": "string"}}}},
            }},
        keywords=["seo", "audit", "lighthouse", "page", "score"],
        call=_seo_audit),
    BuiltinAgent(
        key="run-job", name="ScrapeDeck job runner",
        description="Starts a run of one of your scraping jobs, waits for it to end and returns "
                    "its counts and up to 1,000 of its items.",
        input_schema={"type": "object", "required": ["job_id"], "additionalProperties": False,
                      "properties": {"job_id": {"type": "string", "format": "uuid"},
                                     "max_items": {"type": "integer", "minimum": 1,
                                                   "maximum": MAX_ITEMS},
                                     "max_minutes": _MINUTES}},
        output_schema={
            "type": "object", "required": ["run_id", "status", "items"],
            "properties": {"run_id": {"type": "string"}, "status": {"type": "string"},
                           "pages_fetched": {"type": "integer"},
                           "items_found": {"type": "integer"},
                           "items_stored": {"type": "integer"}, "errors": {"type": "integer"},
                           "error": {"type": ["string", "null"]},
                           "items": {"type": "array", "items": {"type": "object"}}}},
        keywords=["run", "job", "scrape", "items", "results"],
        call=_run_job),
    BuiltinAgent(
        key="crawl-site", name="ScrapeDeck site crawler",
        description="Crawls a site breadth-first for SEO (robots.txt obeyed) and returns its "
                    "findings: broken links, duplicates, redirects, orphan pages…",
        input_schema={"type": "object", "required": ["url"], "additionalProperties": False,
                      "properties": {"url": {"type": "string", "pattern": "^https?://"},
                                     "max_pages": {"type": "integer", "minimum": 1,
                                                   "maximum": 500},
                                     "max_minutes": _MINUTES}},
        output_schema={
            "type": "object", "required": ["crawl_id", "status", "findings"],
            "properties": {"crawl_id": {"type": "string"}, "status": {"type": "string"},
                           "pages_crawled": {"type": "integer"},
                           "error": {"type": ["string", "null"]},
                           "findings": {"type": "array", "items": {
                               "type": "object", "required": ["finding", "severity", "count"],
                               "properties": {"finding": {"type": "string"},
                                              "severity": {"type": "string"},
                                              "title": {"type": "string"},
                                              "count": {"type": "integer"}}}}}},
        keywords=["crawl", "site", "seo", "links", "broken", "findings"],
        call=_crawl_site),
    BuiltinAgent(
        key="ask-advisor", name="ScrapeDeck architecture advisor",
        description="Designs an AWS and/or Azure architecture for a described system, checked "
                    "against its constraints with official documentation as evidence; returns "
                    "each provider's design or why it stopped.",
        input_schema={"type": "object", "required": ["text"], "additionalProperties": False,
                      "properties": {"text": {"type": "string", "minLength": 1,
                                              "maxLength": 4000},
                                     "providers": {"enum": ["aws", "azure", "both"]},
                                     "constraints": {"type": "object"},
                                     "max_minutes": _MINUTES}},
        output_schema={
            "type": "object", "required": ["query_id", "runs"],
            "properties": {"query_id": {"type": "string"}, "runs": {"type": "array", "items": {
                "type": "object", "required": ["provider", "status"],
                "properties": {"provider": {"type": "string"}, "status": {"type": "string"},
                               "terminal_reason": {"type": ["string", "null"]},
                               "iterations": {"type": "integer"},
                               "explanation": {"type": "string"},
                               "design": {"type": "object"},
                               "failing": {"type": "array", "items": {"type": "string"}}}}}}},
        keywords=["architecture", "cloud", "aws", "azure", "design", "advisor"],
        call=_ask_advisor),
)}
