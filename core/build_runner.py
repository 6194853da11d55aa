"""What a worker does for a build (``python -m core.worker build BUILD_ID``).

Two kinds of step, chosen by the build's status:

- **analysis** (``pending_analysis``): fetch the sample URLs (rendering in Chromium the pages
  that need JavaScript), look in the knowledge base for a starting point, propose a schema and a
  package (``core.analysis``), → ``generating_samples``: run the package on every sample →
  ``pending_user_feedback`` with iteration 1;
- **feedback** (``processing_feedback``): apply the user's corrections to the current package,
  run the samples again → ``pending_user_feedback`` with the next iteration.

Every step is a run event on the build's timeline. Each database write is its own short
transaction: none is held across a fetch or a model call. A sample that cannot be fetched is
reported (which URL, why) and the others carry on; trouble with the optional language model
keeps what the build had and says so.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update

from core import builds, knowledge
from core.analysis import (SamplePage, SampleReport, WantedField, find_field_for_example,
                           needs_javascript, propose, run_samples)
from core.database import Database
from core.errors import ScrapeDeckError
from core.scrape.fetch import Fetcher
from core.scrape.options import FetchOptions
from core.settings import get_settings
from db.models import Build, BuildIteration
from db.types import utcnow

log = logging.getLogger("scrapedeck.builds")
MAX_RECORDS_KEPT = 20  # per sample page, in the stored sample report
UPLOAD_PREFIX = "upload:"  # the "URL" of an uploaded sample page


class BuildFailed(Exception):
    """The step cannot go on; ``str()`` is the message the build shows."""


@dataclass
class BuildPlan:
    """What a step needs, read in one transaction before any slow work."""

    build_id: uuid.UUID
    user_id: uuid.UUID
    status: str
    objective: str
    urls: list[str]
    uploads: list[dict[str, str]]
    pages: list[dict[str, Any]]
    package: dict[str, Any] | None
    schema: dict[str, Any] | None
    iteration: int
    feedback: dict[str, Any] | None
    notes: list[str] = field(default_factory=list)


def execute_build(database: Database, build_id: uuid.UUID) -> str:
    """Run the build's pending step (it must be claimed); return the status it ends in."""
    with database.transaction() as session:
        build = session.get(Build, build_id)
        plan = BuildPlan(build_id=build.id, user_id=build.user_id, status=build.status,
                         objective=build.user_objective, urls=list(build.initial_target_urls),
                         uploads=list(build.uploaded_samples or []),
                         pages=list(build.sample_pages or []),
                         package=build.temporary_config_package, schema=build.output_schema,
                         iteration=build.iteration, feedback=build.pending_feedback,
                         notes=list(build.notes or []))
    try:
        if plan.status == "pending_analysis":
            return analyse(database, plan)
        return apply_feedback(database, plan)
    except BuildFailed as exc:
        return _give_up(database, plan, str(exc))
    except Exception as exc:  # a bug: say so, keep the last iteration, let the log have it all
        log.exception("build %s stopped", build_id)
        _give_up(database, plan, f"The build stopped on an internal error: {exc!r}")
        raise


# --- Analysis ----------------------------------------------------------------------------------

def analyse(database: Database, plan: BuildPlan) -> str:
    pages = _fetch_samples(database, plan) + [
        SamplePage(url=UPLOAD_PREFIX + u["name"], html=u["html"]) for u in plan.uploads]
    if not pages:
        raise BuildFailed("No sample could be read: " + "; ".join(plan.notes)
                          + ". Check the URLs open in a browser, or save the pages as .html "
                          "files and upload them.")
    start = _starting_point(database, plan)
    extra = _model_fields(database, plan, pages)
    try:
        proposal = propose(plan.objective, pages, start_from=start.package if start else None,
                           extra_fields=extra)
    except ScrapeDeckError as exc:
        raise BuildFailed(f"The samples could not be analysed: {exc}") from exc
    if not proposal.package.get("fields"):
        raise BuildFailed("Nothing in the objective could be found on the samples. Name the "
                          "fields you want (e.g. \"name, price, link\") and check the samples "
                          "show them.")
    plan.notes += proposal.notes
    with database.transaction() as session:
        _set(session, plan, status="generating_samples",
             sample_pages=[{"url": p.url, "html": p.html} for p in pages])
        builds.add_event(session, plan.build_id, "state_transition", "analyse",
                         to="generating_samples", page_kinds=proposal.page_kinds,
                         fields=proposal.field_sources)
    report = _run_samples(proposal.package, pages)
    changes = [f"proposed {len(proposal.package['fields'])} fields: "
               + ", ".join(proposal.package["fields"])]
    if start:
        changes.insert(0, f"started from the knowledge base ({start.reason})")
    _new_iteration(database, plan, proposal.package, proposal.schema, report, pages, changes)
    return "pending_user_feedback"


def _fetch_samples(database: Database, plan: BuildPlan) -> list[SamplePage]:
    if not plan.urls:
        return []
    return asyncio.run(_fetch_all(database, plan))


async def _fetch_all(database: Database, plan: BuildPlan) -> list[SamplePage]:
    cap, pages = get_settings().build_sample_max_bytes, []
    async with Fetcher(FetchOptions()) as fetcher:
        for url in plan.urls:
            result = await fetcher.fetch(url)
            rendered = False
            if result.ok and needs_javascript(result.text):
                result, rendered = await _render(fetcher, url, result, plan)
            if result.ok and not result.text.strip():
                result = type(result)(url, result.final_url, result.status_code,
                                      error="the page is empty")
            _record_fetch(database, plan, url, result, rendered)
            if result.ok:
                pages.append(SamplePage(url=result.final_url or url, html=result.text[:cap]))
            else:
                plan.notes.append(f"{url} could not be used: {result.error}")
    return pages


async def _render(fetcher: Fetcher, url: str, fetched: Any, plan: BuildPlan) -> tuple[Any, bool]:
    """The page after its scripts ran; the fetched HTML when Chromium cannot help."""
    try:
        result = await fetcher.render(url)
    except ScrapeDeckError as exc:  # no browser on this machine
        plan.notes.append(f"{url} needs JavaScript, but it could not be rendered ({exc}); "
                          "its HTML is used as it came.")
        return fetched, False
    if not result.ok:
        plan.notes.append(f"{url} could not be rendered ({result.error}); its HTML is used as "
                          "it came.")
        return fetched, False
    return result, True


def _record_fetch(database: Database, plan: BuildPlan, url: str, result: Any,
                  rendered: bool) -> None:
    with database.transaction() as session:
        if result.ok:
            builds.add_event(session, plan.build_id, "page_fetched", "fetch", url=url,
                             status=result.status_code, bytes=result.n_bytes, rendered=rendered)
        else:
            builds.add_event(session, plan.build_id, "failure", "fetch", url=url,
                             error=result.error, status=result.status_code)
        _beat(session, plan.build_id)


def _starting_point(database: Database, plan: BuildPlan) -> knowledge.StartingPoint | None:
    with database.transaction() as session:
        start = knowledge.find_starting_point(session, plan.user_id, plan.urls, plan.objective)
        if start is None:
            return None
        knowledge.count_use(session, start.entry_id)
        session.execute(update(Build).where(Build.id == plan.build_id)
                        .values(started_from_entry_id=start.entry_id))
        builds.add_event(session, plan.build_id, "handoff", "knowledge_base",
                         entry=str(start.entry_id), reason=start.reason,
                         similarity=start.similarity)
    plan.notes.append(f"Started from the knowledge base: a confirmed package for {start.reason}.")
    return start


# --- Feedback ----------------------------------------------------------------------------------

def apply_feedback(database: Database, plan: BuildPlan) -> str:
    pages = [SamplePage(url=p["url"], html=p["html"]) for p in plan.pages]
    package, schema = copy.deepcopy(plan.package or {}), copy.deepcopy(plan.schema or {})
    changes: list[str] = []
    for op in (plan.feedback or {}).get("operations", []):
        changes.append(_apply(op, package, schema, pages, plan))
    if not package.get("fields"):
        raise BuildFailed("That would leave no field at all; the previous iteration is kept.")
    report = _run_samples(package, pages)
    _new_iteration(database, plan, package, schema, report, pages, changes)
    return "pending_user_feedback"


def _apply(op: dict[str, Any], package: dict[str, Any], schema: dict[str, Any],
           pages: list[SamplePage], plan: BuildPlan) -> str:
    kind, name = op["op"], op.get("field")
    fields, props = package.setdefault("fields", {}), schema.setdefault("properties", {})
    if kind == "rename":
        fields[op["to"]] = fields.pop(name)
        if name in props:
            props[op["to"]] = props.pop(name)
        schema["required"] = [op["to"] if r == name else r for r in schema.get("required", [])]
        return f"renamed {name} to {op['to']}"
    if kind == "retype":
        _retype(fields[name], props, name, op["type"])
        return f"{name} is now a {op['type']}"
    if kind == "drop":
        _drop(package, schema, name)
        return f"dropped {name}"
    if kind == "wrong":
        return _refind(name, package, schema, pages, plan)
    if kind == "example":
        return _from_example(op["name"], op["value"], package, schema, pages)
    return _free_text(op["text"], plan)


def _retype(spec: dict[str, Any], props: dict[str, Any], name: str, kind: str) -> None:
    fragment, transforms, attribute = builds.FIELD_KINDS[kind]
    spec["transforms"] = list(transforms)
    if attribute:
        spec["take"], spec["attribute"] = "attr", attribute
    elif spec.get("take") == "attr" and spec.get("attribute") in ("href", "src"):
        spec.pop("take"), spec.pop("attribute")  # back to the element's text
    props[name] = {**{k: v for k, v in props.get(name, {}).items()
                      if k not in ("type", "format")}, **fragment, "x-kind": kind}


def _drop(package: dict[str, Any], schema: dict[str, Any], name: str) -> None:
    package["fields"].pop(name, None)
    schema.get("properties", {}).pop(name, None)
    schema["required"] = [r for r in schema.get("required", []) if r != name]


def _refind(name: str, package: dict[str, Any], schema: dict[str, Any],
            pages: list[SamplePage], plan: BuildPlan) -> str:
    """Drop the field's selector and look for it again: with the model when there is one, else
    with the analysis (which must come up with another selector)."""
    old = package["fields"][name]
    kind = builds.field_kind(schema, package, name)
    _drop(package, schema, name)
    found = _model_repair(plan, name, old, pages) or _analysis_refind(plan, name, kind, old,
                                                                       package, pages)
    if found is None:
        return (f"{name}: no other place for it was found, so it is left out; paste a value "
                "you see on a page with 'Add a field from an example value'")
    spec, prop, how = found
    package["fields"][name] = spec
    schema.setdefault("properties", {})[name] = prop
    return f"{name} found again ({how})"


def _analysis_refind(plan: BuildPlan, name: str, kind: str, old: dict[str, Any],
                     package: dict[str, Any], pages: list[SamplePage]) -> tuple | None:
    try:
        proposal = propose(plan.objective, pages, start_from=package,
                           extra_fields=[WantedField(name=name, type=kind)])
    except ScrapeDeckError:
        return None
    spec = proposal.package.get("fields", {}).get(name)
    if spec is None or spec == old:
        return None
    prop = proposal.schema.get("properties", {}).get(name, builds.FIELD_KINDS[kind][0])
    return spec, prop, proposal.field_sources.get(name, "analysis")


def _from_example(name: str, value: str, package: dict[str, Any], schema: dict[str, Any],
                  pages: list[SamplePage]) -> str:
    match = find_field_for_example(pages, value, package)
    if match is None:
        return (f"{name}: '{value[:80]}' is on no sample page, so no field was added; copy the "
                "value exactly as the page shows it")
    package["fields"][name] = match.field
    kind = _kind_of_spec(match.field)
    schema.setdefault("properties", {})[name] = {**builds.FIELD_KINDS[kind][0], "x-kind": kind}
    hits = sum(v is not None for v in match.values)
    return f"added {name} from the example ({match.source}); it finds a value on " \
           f"{hits} of {len(match.values)} samples"


def _kind_of_spec(spec: dict[str, Any]) -> str:
    return builds.field_kind({}, {"fields": {"f": spec}}, "f")


# --- The optional language model ---------------------------------------------------------------

def _model_fields(database: Database, plan: BuildPlan,
                  pages: list[SamplePage]) -> list[WantedField]:
    """Extra fields the model suggests for the objective (none without a model)."""
    return []


def _model_repair(plan: BuildPlan, name: str, old: dict[str, Any],
                  pages: list[SamplePage]) -> tuple | None:
    return None


def _free_text(text: str, plan: BuildPlan) -> str:
    return "free-text feedback was not applied: no language model is configured"


# --- Shared steps ------------------------------------------------------------------------------

def _run_samples(package: dict[str, Any], pages: list[SamplePage]) -> dict[str, Any]:
    try:
        report = run_samples(package, pages)
    except ScrapeDeckError as exc:
        raise BuildFailed(f"The package does not work on the samples: {exc}") from exc
    return report_to_dict(report, pages)


def report_to_dict(report: SampleReport, pages: list[SamplePage]) -> dict[str, Any]:
    """The sample report as stored: per field its hits and values, per page its records (the
    first ``MAX_RECORDS_KEPT``) and errors, and each page's short label for the table."""
    return {
        "fields": {name: {"hits": f.hits, "total": f.total, "values": f.values,
                          "flagged": f.flagged} for name, f in report.fields.items()},
        "records": {url: records[:MAX_RECORDS_KEPT] for url, records in report.records.items()},
        "record_counts": {url: len(records) for url, records in report.records.items()},
        "errors": report.errors,
        "pages": [{"url": p.url, "label": _label(p.url, i)} for i, p in enumerate(pages, 1)],
    }


def _label(url: str, number: int) -> str:
    if url.startswith(UPLOAD_PREFIX):
        return f"{number}. {url.removeprefix(UPLOAD_PREFIX)[:40]} (uploaded)"
    tail = url.rstrip("/").rsplit("/", 1)[-1] or url
    return f"{number}. {tail[:40]}"


def _new_iteration(database: Database, plan: BuildPlan, package: dict[str, Any],
                   schema: dict[str, Any], report: dict[str, Any], pages: list[SamplePage],
                   changes: list[str]) -> None:
    number = plan.iteration + 1
    flagged = [n for n, f in report["fields"].items() if f["flagged"]]
    with database.transaction() as session:
        session.add(BuildIteration(build_id=plan.build_id, number=number, package=package,
                                   output_schema=schema, sample_report=report,
                                   change_summary=changes))
        _set(session, plan, status="pending_user_feedback", temporary_config_package=package,
             output_schema=schema, package_results=report, iteration=number,
             pending_feedback=None, error_message=None, worker_id=None)
        builds.add_event(session, plan.build_id, "state_transition", "samples",
                         to="pending_user_feedback", iteration=number, changes=changes,
                         flagged=flagged, samples=len(pages))


def _set(session: Any, plan: BuildPlan, **values: Any) -> None:
    if "notes" not in values:
        values["notes"] = plan.notes
    session.execute(update(Build).where(Build.id == plan.build_id)
                    .values(heartbeat_at=utcnow(), updated_at=utcnow(), **values))


def _beat(session: Any, build_id: uuid.UUID) -> None:
    session.execute(update(Build).where(Build.id == build_id).values(heartbeat_at=utcnow()))


def _give_up(database: Database, plan: BuildPlan, message: str) -> str:
    """A failed analysis fails the build; failed feedback keeps the last iteration."""
    with database.transaction() as session:
        if plan.status == "processing_feedback" and plan.package:
            status = "pending_user_feedback"
            message = f"Your feedback could not be applied: {message} The previous iteration " \
                      "is kept."
        else:
            status = "failed"
        _set(session, plan, status=status, error_message=message, pending_feedback=None,
             worker_id=None)
        builds.add_event(session, plan.build_id, "failure", None, to=status, error=message)
    return status
