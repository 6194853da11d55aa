"""Builds: from an objective and a few sample pages to a confirmed config package.

A build moves through these states (seed 000):

    pending_analysis → generating_samples → pending_user_feedback ⇄ processing_feedback
                                                     ↓
                                                 confirmed          (or failed, with a reason)

Creating a build and sending feedback only write intent; a worker process
(``python -m core.worker build BUILD_ID``, ``core.builder.build_runner``) fetches, analyses and runs the
samples. With ``EXECUTOR=local`` the worker is spawned when the transaction commits; with
``queue`` a ``serve`` process claims the build. Every step lands in the run-event timeline
(``core.timeline``, ``run_events.build_id``); every iteration of the package is kept (``build_iterations``), so
two can be compared. Confirming stores the final package and a knowledge-base entry
(``core.builder.knowledge``); one more call turns the build into an extractor schema and a job.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from core.analysis.types import FieldKind
from core.builder import knowledge
from core.platform import audit
from core.platform.access import Actor, can_change, require_change, require_writer
from core.platform.errors import Conflict, ValidationError
from core.platform.records import get_readable
from core.scrape.dom import cap_nesting
from core.scrape.urls import AddressPolicy, check_target_url
from core.platform.settings import get_settings
from core.platform.work import WorkName, claim_by_id, claim_oldest, spawn_after_commit, stale
from core import budgets, timeline
from core.timeline import WorkflowRef
from db.models import Build, BuildIteration
from db.types import utcnow
from vocabularies import BuildStatus

if TYPE_CHECKING:
    import pandas as pd

MAX_SAMPLES = 10
MAX_OBJECTIVE = 2_000
# Field kinds a user can give a field (every ``FieldKind`` but boolean, which no transform
# reads), and what each means for the schema and the package.
FIELD_KINDS: dict[FieldKind, tuple[dict[str, Any], list[str], str | None]] = {
    FieldKind.STRING: ({"type": "string"}, ["strip"], None),
    FieldKind.NUMBER: ({"type": "number"}, ["number"], None),
    FieldKind.INTEGER: ({"type": "integer"}, ["number"], None),
    FieldKind.PRICE: ({"type": "number"}, ["price"], None),
    FieldKind.CURRENCY: ({"type": "string"}, ["currency"], None),
    FieldKind.RATING: ({"type": "number"}, ["number"], None),
    FieldKind.DATE: ({"type": "string"}, ["strip", "date"], None),
    FieldKind.URL: ({"type": "string", "format": "uri"}, ["absolute_url"], "href"),
    FieldKind.IMAGE: ({"type": "string", "format": "uri"}, ["absolute_url"], "src"),
    FieldKind.AVAILABILITY: ({"type": "string"}, ["strip"], None),
}
FEEDBACK_OPS = ("rename", "retype", "drop", "wrong", "example", "text")
_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,59}$")


@dataclass(frozen=True)
class BuildInput:
    """What a user submits: the objective, sample URLs, and uploaded HTML files (name, bytes)."""

    objective: str
    urls: list[str] = field(default_factory=list)
    files: list[tuple[str, bytes]] = field(default_factory=list)
    render: bool = False  # render every sample URL in Chromium first
    wait_for: str | None = None  # … until this CSS selector is on the page


@dataclass(frozen=True)
class IterationInfo:
    number: int
    created_at: datetime
    changes: list[str]
    hit_rates: dict[str, str]  # field → "2/2"


@dataclass(frozen=True)
class BuildDetail:
    id: uuid.UUID
    status: BuildStatus
    objective: str
    urls: list[str]
    uploads: list[str]
    render: bool
    wait_for: str | None
    iteration: int
    error_message: str | None
    notes: list[str]
    schema: dict[str, Any] | None
    package: dict[str, Any] | None
    final_package: dict[str, Any] | None
    report: dict[str, Any] | None  # {"fields": {name: {hits, total, values, flagged}}, "urls", …}
    iterations: list[IterationInfo]
    started_from_entry_id: uuid.UUID | None
    schema_id: uuid.UUID | None
    job_id: uuid.UUID | None
    owner_id: uuid.UUID
    can_change: bool
    created_at: datetime
    updated_at: datetime

    @property
    def working(self) -> bool:
        return self.status in BuildStatus.WORKING

    @property
    def field_names(self) -> list[str]:
        return list((self.package or {}).get("fields", {}))


# --- Events ------------------------------------------------------------------------------------

def record_event(session: Session, build_id: uuid.UUID, event: timeline.Event) -> None:
    """One event of the build's timeline (``core.timeline``: the same table as runs' events)."""
    timeline.record(session, WorkflowRef.build(build_id), event)


# --- Creating ----------------------------------------------------------------------------------

def _check_objective(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError("Describe what you want, e.g. \"all products on these pages: name, "
                              "price, rating, image, link\".")
    if len(text) > MAX_OBJECTIVE:
        raise ValidationError(f"The objective is too long ({len(text)} characters; at most "
                              f"{MAX_OBJECTIVE}).")
    return text


def _check_urls(urls: list[str]) -> list[str]:
    policy = AddressPolicy.from_settings()
    clean, problems = [], []
    for number, url in enumerate((u.strip() for u in urls if u and u.strip()), start=1):
        try:
            clean.append(check_target_url(url, allow_private=policy))
        except ValidationError as exc:
            problems.append(f"URL {number} ({url[:200]}): {exc}")
    if problems:
        raise ValidationError("Some sample URLs cannot be used.", problems)
    return list(dict.fromkeys(clean))  # the same URL twice is one sample


def _check_files(files: list[tuple[str, bytes]]) -> list[dict[str, str]]:
    cap, samples, problems = get_settings().build_sample_max_bytes, [], []
    for name, data in files:
        name = (name or "upload.html").rsplit("/", 1)[-1][:200]
        if not name.lower().endswith((".html", ".htm")):
            problems.append(f"{name}: only .html or .htm files can be samples")
        elif len(data) > cap:
            problems.append(f"{name}: {len(data):,} bytes is more than the {cap:,} allowed")
        else:
            text = data.decode("utf-8", errors="replace").replace("\x00", "")
            if "<" not in text:
                problems.append(f"{name}: this file holds no HTML")
            else:
                samples.append({"name": name, "html": cap_nesting(text)})
    if problems:
        raise ValidationError("Some uploaded files cannot be used.", problems)
    return samples


def _check_wait_for(query: str | None) -> str | None:
    from core.scrape.dom import css_problem

    query = (query or "").strip()
    if not query:
        return None
    problem = css_problem(query)
    if problem:
        raise ValidationError(f"Wait for: {problem}.")
    return query


def create_build(session: Session, actor: Actor, data: BuildInput) -> BuildDetail:
    """Check the input, write a pending build and (on commit) start its worker."""
    require_writer(actor)
    objective = _check_objective(data.objective)
    urls, uploads = _check_urls(data.urls), _check_files(data.files)
    if not urls and not uploads:
        raise ValidationError("Give at least one sample: a URL (one per line) or an HTML file.")
    if len(urls) + len(uploads) > MAX_SAMPLES:
        raise ValidationError(f"At most {MAX_SAMPLES} samples (URLs and files together); "
                              f"{len(urls) + len(uploads)} were given.")
    wait_for = _check_wait_for(data.wait_for)
    budgets.check_start(session, actor.id, "build")
    build = Build(user_id=actor.id, user_objective=objective, initial_target_urls=urls,
                  uploaded_samples=uploads, status=BuildStatus.PENDING_ANALYSIS, notes=[],
                  iteration=0, render_javascript=bool(data.render or wait_for), wait_for=wait_for)
    session.add(build)
    session.flush()
    record_event(session, build.id, timeline.StateTransition(
        to=BuildStatus.PENDING_ANALYSIS, extra={"urls": len(urls), "uploads": len(uploads)}))
    audit.record(session, actor, "build.create", "build", build.id, new={
        "objective": objective, "urls": urls, "uploads": [u["name"] for u in uploads],
        "render": build.render_javascript})
    spawn_after_commit(session, WorkName.BUILD, build.id)
    return _detail(session, actor, build)


# --- Reading -----------------------------------------------------------------------------------

def _load(session: Session, actor: Actor, build_id: uuid.UUID | str) -> Build:
    return get_readable(session, Build, build_id, actor, "Build")


def _iterations(session: Session, build_id: uuid.UUID) -> list[IterationInfo]:
    rows = session.scalars(select(BuildIteration).where(BuildIteration.build_id == build_id)
                           .order_by(BuildIteration.number))
    return [IterationInfo(number=r.number, created_at=r.created_at, changes=r.change_summary or [],
                          hit_rates=_hit_rates(r.sample_report)) for r in rows]


def _hit_rates(report: dict[str, Any] | None) -> dict[str, str]:
    return {name: f"{f['hits']}/{f['total']}"
            for name, f in ((report or {}).get("fields") or {}).items()}


def _detail(session: Session, actor: Actor, build: Build) -> BuildDetail:
    return BuildDetail(
        id=build.id, status=build.status, objective=build.user_objective,
        urls=list(build.initial_target_urls or []),
        uploads=[u["name"] for u in build.uploaded_samples or []],
        render=bool(build.render_javascript), wait_for=build.wait_for, iteration=build.iteration,
        error_message=build.error_message, notes=list(build.notes or []),
        schema=build.output_schema, package=build.temporary_config_package,
        final_package=build.final_config_package, report=build.package_results,
        iterations=_iterations(session, build.id),
        started_from_entry_id=build.started_from_entry_id, schema_id=build.schema_id,
        job_id=build.job_id, owner_id=build.user_id, can_change=can_change(actor, build.user_id),
        created_at=build.created_at, updated_at=build.updated_at)


def get_build(session: Session, actor: Actor, build_id: uuid.UUID | str) -> BuildDetail:
    return _detail(session, actor, _load(session, actor, build_id))


def live_build(session: Session, actor: Actor, build_id: uuid.UUID | str) -> BuildDetail:
    """What the page polls while a build works: first notice dead workers, then read."""
    reap_stale_builds(session)
    return get_build(session, actor, build_id)


BUILD_COLUMNS = ["id", "objective", "status", "samples", "fields", "iteration", "created_at"]


def list_builds(session: Session, actor: Actor, limit: int = 200) -> pd.DataFrame:
    """Newest first: the actor's builds (everyone's for an admin)."""
    import pandas as pd

    query = select(Build).order_by(Build.created_at.desc()).limit(limit)
    if not actor.is_admin:
        query = query.where(Build.user_id == actor.id)
    rows = [(b.id, b.user_objective, b.status,
             len(b.initial_target_urls or []) + len(b.uploaded_samples or []),
             len((b.temporary_config_package or {}).get("fields", {})), b.iteration, b.created_at)
            for b in session.scalars(query)]
    return pd.DataFrame(rows, columns=BUILD_COLUMNS)


def build_graph(session: Session, actor: Actor, build_id: uuid.UUID | str) -> timeline.Graph:
    """The build's workflow graph, with the feedback loop and its iteration."""
    build = _load(session, actor, build_id)
    return timeline.graph(session, WorkflowRef.build(build.id))


def sample_table(detail: BuildDetail) -> pd.DataFrame:
    """One row per field: its kind, hit rate, whether it is flagged, and its value on each
    sample page side by side (the first record's value on a list page)."""
    import pandas as pd

    report = detail.report or {}
    pages = report.get("pages") or []
    columns = ["field", "kind", "hit_rate", "flagged", *(p["label"] for p in pages)]
    rows = []
    for name, sample in (report.get("fields") or {}).items():
        values = [_shown(v) for v in sample.get("values", [])]
        values += [""] * (len(pages) - len(values))
        rows.append([name, field_kind(detail.schema, detail.package, name),
                     f"{sample['hits']}/{sample['total']}",
                     "works on some samples only" if sample.get("flagged") else "",
                     *values[:len(pages)]])
    return pd.DataFrame(rows, columns=columns)


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= 200 else text[:199] + "…"


def field_kind(schema: dict[str, Any] | None, package: dict[str, Any] | None,
               name: str) -> FieldKind:
    """The kind a field has (one of ``FIELD_KINDS``), read back from its schema and transforms."""
    prop = ((schema or {}).get("properties") or {}).get(name) or {}
    if prop.get("x-kind") in FIELD_KINDS:
        return FieldKind(prop["x-kind"])
    spec = ((package or {}).get("fields") or {}).get(name) or {}
    names = [t if isinstance(t, str) else next(iter(t), "") for t in spec.get("transforms", [])]
    if "price" in names:
        return FieldKind.PRICE
    if "currency" in names:
        return FieldKind.CURRENCY
    if "date" in names:
        return FieldKind.DATE
    if "absolute_url" in names or prop.get("format") == "uri":
        return FieldKind.IMAGE if spec.get("attribute") == "src" else FieldKind.URL
    if prop.get("type") in (FieldKind.NUMBER, FieldKind.INTEGER):
        return FieldKind.RATING if "rating" in name else FieldKind(prop["type"])
    return FieldKind.STRING


# --- Comparing iterations ------------------------------------------------------------------------

def diff_iterations(session: Session, actor: Actor, build_id: uuid.UUID | str, before: int,
                    after: int) -> pd.DataFrame:
    """What changed from iteration ``before`` to ``after``: per field added, removed, new selector
    or transforms, new kind, and its hit rate in each."""
    import pandas as pd

    build = _load(session, actor, build_id)
    found = {r.number: r for r in session.scalars(
        select(BuildIteration).where(BuildIteration.build_id == build.id,
                                     BuildIteration.number.in_([before, after])))}
    missing = [str(n) for n in (before, after) if n not in found]
    if missing:
        raise ValidationError(f"This build has no iteration {', '.join(missing)}.")
    return pd.DataFrame(compare(found[before], found[after]),
                        columns=["field", "change", "before", "after", "hits_before",
                                 "hits_after"])


def compare(a: BuildIteration, b: BuildIteration) -> list[list[str]]:
    fields_a, fields_b = a.package.get("fields", {}), b.package.get("fields", {})
    hits_a, hits_b = _hit_rates(a.sample_report), _hit_rates(b.sample_report)
    rows = []
    for name in [*fields_a, *(n for n in fields_b if n not in fields_a)]:
        old, new = fields_a.get(name), fields_b.get(name)
        if old is None:
            change, was, now = "added", "", _spec_text(new)
        elif new is None:
            change, was, now = "removed", _spec_text(old), ""
        elif old != new:
            change, was, now = _what_changed(old, new), _spec_text(old), _spec_text(new)
        elif field_kind(a.output_schema, a.package, name) != field_kind(b.output_schema,
                                                                         b.package, name):
            change = "kind"
            was = field_kind(a.output_schema, a.package, name)
            now = field_kind(b.output_schema, b.package, name)
        elif hits_a.get(name) != hits_b.get(name):
            change, was, now = "hit rate", "", ""
        else:
            continue
        rows.append([name, change, was, now, hits_a.get(name, ""), hits_b.get(name, "")])
    return rows


def _what_changed(old: dict[str, Any], new: dict[str, Any]) -> str:
    parts = [key for key in ("selector", "take", "attribute", "transforms", "all")
             if old.get(key) != new.get(key)]
    return "changed " + ", ".join(parts) if parts else "changed"


def _spec_text(spec: dict[str, Any] | None) -> str:
    if not spec:
        return ""
    # No selector: the value is read from the record's own element (its attribute, say).
    text = spec.get("selector") or "(the record)"
    if spec.get("take") == "attr":
        text += f" @{spec.get('attribute')}"
    if spec.get("transforms"):
        text += " | " + ", ".join(t if isinstance(t, str) else str(t) for t in spec["transforms"])
    return text


# --- Feedback ------------------------------------------------------------------------------------

def check_operation(op: dict[str, Any], fields: list[str], model: bool) -> str | None:
    """What is wrong with one feedback operation on a package with ``fields``, or None."""
    kind = op.get("op")
    if kind not in FEEDBACK_OPS:
        return f"unknown feedback '{kind}'"
    name = op.get("field")
    if kind in ("rename", "retype", "drop", "wrong") and name not in fields:
        return f"{kind}: there is no field '{name}'"
    if kind == "rename":
        to = str(op.get("to") or "").strip()
        if not _FIELD_NAME.match(to):
            return (f"rename {name}: '{to}' is not a field name (lower case letters, digits and "
                    "underscores, starting with a letter)")
        if to in fields and to != name:
            return f"rename {name}: there already is a field '{to}'"
    if kind == "retype" and op.get("type") not in FIELD_KINDS:
        return f"retype {name}: choose one of {', '.join(FIELD_KINDS)}"
    if kind == "example":
        if not str(op.get("value") or "").strip():
            return "add a field: paste a value you see on a sample page"
        if not _FIELD_NAME.match(str(op.get("name") or "")):
            return (f"add a field: '{op.get('name')}' is not a field name (lower case letters, "
                    "digits and underscores, starting with a letter)")
    if kind == "text":
        if not str(op.get("text") or "").strip():
            return "say what should change"
        if not model:
            return ("free-text feedback needs a language model: set one up on the Model "
                    "settings page, or use the field controls and 'add a field from an example "
                    "value'")
    return None


def submit_feedback(session: Session, actor: Actor, build_id: uuid.UUID | str,
                    operations: list[dict[str, Any]]) -> BuildDetail:
    """Queue feedback on the current iteration; the worker applies it and makes the next one.

    ``operations``: ``{"op": "rename", "field", "to"}``, ``{"op": "retype", "field", "type"}``,
    ``{"op": "drop", "field"}``, ``{"op": "wrong", "field"}`` (re-find it),
    ``{"op": "example", "name", "value"}`` (a field from a value seen on a page: a new one, or
    a correction of the field of that name), and
    ``{"op": "text", "text"}`` (needs a language model)."""
    build = _load(session, actor, build_id)
    require_change(actor, build.user_id, "build")
    again = build.status == BuildStatus.STOPPED_BUDGET and build.temporary_config_package
    if build.status != BuildStatus.PENDING_USER_FEEDBACK and not again:
        raise Conflict(_not_ready(build.status))
    if not operations:
        raise ValidationError("Nothing to change: choose at least one correction.")
    fields = list((build.temporary_config_package or {}).get("fields", {}))
    model = model_available(session, build.user_id)
    problems = [p for p in (check_operation(op, fields, model) for op in operations) if p]
    problems += _examples_not_on_samples(build, operations) if not problems else []
    if problems:
        raise ValidationError("This feedback cannot be applied.", problems)
    budgets.check_start(session, build.user_id, "build step")
    build.pending_feedback = {"operations": operations, "by": actor.email}
    audit.record(session, actor, "build.feedback", "build", build.id,
                 new={"operations": [op.get("op") for op in operations]})
    build.status, build.error_message = BuildStatus.PROCESSING_FEEDBACK, None
    record_event(session, build.id, timeline.StateTransition(
        to=BuildStatus.PROCESSING_FEEDBACK, by=actor.email, iteration=build.iteration,
        extra={"operations": [op.get("op") for op in operations]}))
    spawn_after_commit(session, WorkName.BUILD, build.id)
    return _detail(session, actor, build)


def _examples_not_on_samples(build: Build, operations: list[dict[str, Any]]) -> list[str]:
    """An example value must be seen on a sample page: otherwise no field could honestly be
    found from it (and none is taken from another place to fill the gap)."""
    from core.analysis import SamplePage
    from core.analysis.examples import seen_on_samples

    pages = [SamplePage(url=p["url"], html=p["html"]) for p in build.sample_pages or []]
    problems = []
    for op in operations:
        if op.get("op") == "example" and pages and not seen_on_samples(pages, str(op["value"])):
            problems.append(f"{op.get('name')}: '{str(op['value'])[:80]}' is on no sample page; "
                            "copy the value exactly as a sample page shows it")
    return problems


def _not_ready(status: BuildStatus) -> str:
    if status in BuildStatus.WORKING:
        return "The build is still working; wait for the samples to show."
    return f"This build is {status.replace('_', ' ')}; it takes no more feedback."


def model_available(session: Session, user_id: uuid.UUID) -> bool:
    """Whether the user has a language model configured (``core.llm``); never required."""
    from core import llm

    return llm.has_provider(session, user_id)


# --- Confirming and turning into a job ---------------------------------------------------------

def confirm_build(session: Session, actor: Actor, build_id: uuid.UUID | str) -> BuildDetail:
    """Keep the current iteration as the final package and remember it in the knowledge base."""
    build = _load(session, actor, build_id)
    require_change(actor, build.user_id, "build")
    if build.status == BuildStatus.CONFIRMED:
        return _detail(session, actor, build)
    if build.status != BuildStatus.PENDING_USER_FEEDBACK or not build.temporary_config_package:
        raise Conflict(_not_ready(build.status)
                       if build.status != BuildStatus.PENDING_USER_FEEDBACK
                       else "There is no package to confirm yet.")
    build.final_config_package = build.temporary_config_package
    build.status, build.confirmed_at, build.error_message = BuildStatus.CONFIRMED, utcnow(), None
    entry = knowledge.remember(session, build)
    audit.record(session, actor, "build.confirm", "build", build.id,
                 new={"knowledge_base_entry": str(entry.id)})
    record_event(session, build.id, timeline.Completion(to=BuildStatus.CONFIRMED, extra={
        "knowledge_base_entry": str(entry.id), "sites": entry.platform_identifiers}))
    return _detail(session, actor, build)


def create_schema_and_job(session: Session, actor: Actor,
                          build_id: uuid.UUID | str) -> BuildDetail:
    """Make an extractor schema and a scraping job from a confirmed build (once: a second call
    returns the build with the same schema and job)."""
    build = _load(session, actor, build_id)
    require_change(actor, build.user_id, "build")
    if build.status != BuildStatus.CONFIRMED:
        raise Conflict("Confirm the build first; then it can become a schema and a job.")
    if build.job_id is not None:
        return _detail(session, actor, build)
    if not build.initial_target_urls:
        raise ValidationError("This build has only uploaded samples: a job needs URLs to fetch. "
                              "Create the job on the Jobs page with this build's package, or "
                              "run the build on URLs of your own.")
    _make_schema_and_job(session, actor, build, list(build.initial_target_urls))
    return _detail(session, actor, build)


def _make_schema_and_job(session: Session, actor: Actor, build: Build, urls: list[str]) -> None:
    from core.scraping import jobs, schemas

    title = _title(build.user_objective)
    schema = schemas.create_schema(session, actor, schemas.SchemaInput(
        name=title, definition=_schema_for_job(build.output_schema or {}),
        description=f"Made by the objective builder from: {build.user_objective}",
        # A record missing a field is kept (with a lower confidence), not thrown away.
        strict_validation=False))
    job = jobs.create_job(session, actor, jobs.JobInput(
        name=title, target_urls=urls,
        config_package=build.final_config_package or {}, extractor_schema_id=schema.id,
        description=f"Made by the objective builder from: {build.user_objective}"))
    build.schema_id, build.job_id = schema.id, job.id
    record_event(session, build.id, timeline.Handoff(
        target=timeline.HandoffTarget.JOB, by=actor.email,
        extra={"schema": str(schema.id), "job": str(job.id)}))


def run_build(session: Session, actor: Actor, build_id: uuid.UUID | str,
              urls: list[str]) -> Any:
    """Run a confirmed build's package on other URLs: a run of the build's job (made once, as
    by ``create_schema_and_job``) with its own target URLs; the run keeps the build's id
    (``runs.build_id``). Returns the run's ``core.scraping.runs.RunSummary``."""
    from core.scraping import runs
    from db.models import ScrapingJob

    build = _load(session, actor, build_id)
    require_change(actor, build.user_id, "build")
    if build.status != BuildStatus.CONFIRMED:
        raise Conflict("Confirm the build first; then it can run on other pages.")
    targets = _check_urls(urls)
    if not targets:
        raise ValidationError("Give at least one URL to run the build on.")
    if build.job_id is None:
        _make_schema_and_job(session, actor, build, list(build.initial_target_urls) or targets)
    job = session.get(ScrapingJob, build.job_id)
    if job is None:
        raise Conflict("The job made from this build was deleted; confirm a new build.")
    runs.check_start(session, job)
    run = runs.enqueue(session, job, f"build:{build.id}:{uuid.uuid4()}", "build")
    run.target_urls = targets
    run.build_id = build.id
    audit.record(session, actor, "run.start", "run", run.id,
                 new={"job": job.name, "trigger": "build", "urls": len(targets)})
    record_event(session, build.id, timeline.Handoff(
        target=timeline.HandoffTarget.RUN, by=actor.email,
        extra={"run": str(run.id), "urls": len(targets)}))
    return runs.get_run(session, actor, run.id)


def _title(objective: str) -> str:
    words = objective.split()
    title = " ".join(words[:8]) + ("…" if len(words) > 8 else "")
    return title[:180]


def _schema_for_job(schema: dict[str, Any]) -> dict[str, Any]:
    """The build's schema without its private hints (``x-kind``)."""
    properties = {name: {k: v for k, v in prop.items() if k != "x-kind"}
                  for name, prop in (schema.get("properties") or {}).items()}
    return {**schema, "properties": properties}


# --- Workers: claiming and dead workers ---------------------------------------------------------

def claim(session: Session, build_id: uuid.UUID, worker: str) -> bool:
    """Take a build that waits for a worker; False when another worker has it."""
    if claim_by_id(session, Build, build_id, worker, _waiting()):
        record_event(session, build_id, timeline.Handoff(target=timeline.HandoffTarget.WORKER,
                                                         worker=worker))
        return True
    return False


def claim_next(session: Session, worker: str) -> uuid.UUID | None:
    """The oldest build waiting for a worker, claimed (``serve``; ``EXECUTOR=queue``)."""
    return claim_oldest(session, worker, Build, _waiting(), Build.updated_at, claim)


def _waiting() -> list[ColumnElement[bool]]:
    return [Build.status.in_(BuildStatus.CLAIMABLE), Build.worker_id.is_(None)]


def reap_stale_builds(session: Session, now: datetime | None = None) -> int:
    """Builds whose worker stopped heartbeating: back to the last iteration when there is one
    (the feedback is not applied, and the build says so), else failed."""
    now = now or utcnow()
    stale_builds = list(session.scalars(select(Build).where(
        Build.status.in_(BuildStatus.WORKING), Build.worker_id.is_not(None), stale(Build, now))))
    for build in stale_builds:
        build.worker_id, build.pending_feedback = None, None
        if build.temporary_config_package:
            build.status = BuildStatus.PENDING_USER_FEEDBACK
            build.error_message = ("The worker stopped before applying your feedback; the last "
                                   "iteration is kept. Send the feedback again.")
        else:
            build.status = BuildStatus.FAILED
            build.error_message = "The worker stopped responding; create the build again."
        record_event(session, build.id, timeline.Failure(
            reason="heartbeat lost", to=build.status, error=build.error_message))
    return len(stale_builds)
