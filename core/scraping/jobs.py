"""Scraping jobs (seed 002): what to scrape, how to extract it, and when.

A job is one or more target URLs + a config package + optionally an extractor schema + pagination
+ fetch options + optionally a cron schedule with a time zone. The rules:

- **Validation** reports every problem at once, each starting with the field it is about (the
  job file's key: ``target_urls: …``, ``config_package.fields.price.selector: …``,
  ``options.concurrency: …``); nothing is saved while any is left.
- **Target URLs**: judged by the URL policy (``core.scrape.urls.check_target_url``) as written:
  http or https with a host; private, loopback and link-local addresses in any spelling and
  ``localhost`` names are refused unless the private-address settings allow them. Host names are
  not resolved here (saving must not hang on DNS); the fetcher runs the same check with DNS
  before every request.
- **Schema**: the job pins the exact version chosen. Editing the schema later makes a new version
  (see ``core.scraping.schemas``); the job keeps the one it pinned until it is edited to use another.
- **Pagination**: same format as the package's ``pagination`` object, its type given apart in
  ``pagination_type``. The job's pagination, when not ``none``, overrides the package's; with
  ``none`` the package's applies (``effective_pagination``).
- **Rendering**: a page is rendered with JavaScript when the job's ``render_javascript`` or the
  package's ``render.javascript`` asks for it; the job's ``wait_for``, when set, wins over the
  package's.
- **Schedule**: ``next_run_at`` (UTC) is set when a cron expression is set and cleared when it is
  removed. An edit that leaves the schedule alone keeps ``next_run_at``, so a due run is not
  skipped. ``core.scraping.runs.enqueue_due_runs`` (the worker's scheduler) queues each due slot once.
- **Rights**: analysts and viewers see only their own jobs, admins every job; viewers change
  nothing; only the owner or an admin changes a job.
"""

from __future__ import annotations

import difflib
import math
import uuid
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform import audit

from core.scraping import runs, schemas
from core.platform.access import Actor, can_change, require_change, require_writer
from core.platform.errors import Conflict, NotFound, ValidationError
from core.scraping.jobspec import JobOptions, parse_pagination
from core.platform.jsondoc import parse_json
from core.platform.records import get_readable
from core.platform.schedule import PREVIEW_COUNT, check_timezone, next_run_times, next_run_utc, parse_cron
from core.scrape.dom import css_problem
from core.scrape.package import parse_package
from core.scrape.urls import AddressPolicy, check_target_url
from core.accounts.users import MAX_NAME
from db.models import ExtractorSchema, Run, ScrapingJob, User
from db.types import utcnow
from vocabularies import PaginationType

MAX_CONCURRENCY = 64
MAX_DESCRIPTION = 5_000
MAX_URL_LENGTH = 2_048
MAX_USER_AGENT = 500
T = TypeVar("T")


@dataclass(frozen=True)
class JobInput:
    """What a user submits. Types are checked too: a job file may hold anything."""

    name: str
    target_urls: list[str]
    config_package: dict[str, Any] | str  # the document, or its JSON text
    description: str = ""
    extractor_schema_id: uuid.UUID | str | None = None
    pagination_type: str = PaginationType.NONE
    pagination: dict[str, Any] = field(default_factory=dict)
    options: Mapping[str, Any] = field(default_factory=dict)  # JobOptions fields; missing: default
    schedule_cron: str | None = None  # None or blank: no schedule
    schedule_timezone: str = "UTC"


@dataclass(frozen=True)
class JobDetail:
    id: uuid.UUID
    name: str
    description: str
    target_urls: list[str]
    extractor_schema_id: uuid.UUID | None
    schema_name: str | None
    schema_version: int | None
    config_package: dict[str, Any]
    pagination_type: PaginationType
    pagination: dict[str, Any]
    options: JobOptions
    schedule_cron: str | None
    schedule_timezone: str
    next_run_at: datetime | None
    next_runs: list[datetime]  # the next five, in the job's time zone
    owner_email: str
    can_change: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class _Clean:
    name: str
    description: str
    target_urls: list[str]
    schema_id: uuid.UUID | None
    config_package: dict[str, Any]
    pagination_type: PaginationType
    pagination: dict[str, Any]
    options: JobOptions
    schedule_cron: str | None
    schedule_timezone: str


# -- validation -----------------------------------------------------------------------------------
# A check raises ValidationError with a message that reads after "<field>: " ("is empty"), or,
# when it finds several problems or knows their exact place, with ``problems`` already located.

def _located(problem: str) -> ValidationError:
    return ValidationError(problem, [problem])


def _collect(problems: list[str], key: str, check: Callable[[], T], fallback: T) -> T:
    try:
        return check()
    except ValidationError as exc:
        problems.extend(exc.problems or [f"{key}: {exc}"])
        return fallback


def _clean(session: Session, actor: Actor, data: JobInput) -> _Clean:
    """Check every part and report all problems at once, in the form's order, so one save shows
    everything to fix."""
    problems = [f"{key}: contains a NUL character (\\u0000), which cannot be stored"
                for key, value in vars(data).items() if _has_nul(value)]
    name = _collect(problems, "name", lambda: _check_name(data.name), "")
    description = _collect(problems, "description",
                           lambda: _check_description(data.description), "")
    target_urls: list[str] = _collect(problems, "target_urls",
                                      lambda: _check_target_urls(data.target_urls), [])
    schema_id = _collect(problems, "extractor_schema_id",
                         lambda: _check_schema(session, actor, data.extractor_schema_id), None)
    package: dict[str, Any] = _collect(problems, "config_package",
                                       lambda: _check_package(data.config_package), {})
    no_pagination: tuple[PaginationType, dict[str, Any]] = (PaginationType.NONE, {})
    pagination_type, pagination = _collect(problems, "pagination", lambda: _check_pagination(
        data.pagination_type, data.pagination), no_pagination)
    options = _collect(problems, "options", lambda: _check_options(data.options), JobOptions())
    no_schedule: tuple[str | None, str] = (None, "")
    cron, zone = _collect(problems, "schedule", lambda: _check_schedule(
        data.schedule_cron, data.schedule_timezone), no_schedule)
    if problems:
        raise ValidationError("The job was not saved:", problems)
    return _Clean(name=name, description=description, target_urls=target_urls,
                  schema_id=schema_id, config_package=package, pagination_type=pagination_type,
                  pagination=pagination, options=options, schedule_cron=cron,
                  schedule_timezone=zone)


def _has_nul(value: Any) -> bool:
    """PostgreSQL cannot store NUL in text or JSON; refuse it instead of failing on write."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return any(_has_nul(v) for v in value)
    return False


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"must be text, not {value!r}")
    return value


def _check_name(value: Any) -> str:
    name = _text(value).strip()
    if not name:
        raise ValidationError("is empty")
    if len(name) > MAX_NAME:
        raise ValidationError(f"is longer than {MAX_NAME} characters ({len(name)})")
    return name


def _check_description(value: Any) -> str:
    text = _text(value).strip()
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"is longer than {MAX_DESCRIPTION:,} characters")
    return text


def _check_target_urls(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(u, str) for u in value):
        raise ValidationError("must be a list of URLs")
    urls = list(dict.fromkeys(u.strip() for u in value if u.strip()))  # order kept, repeats gone
    if not urls:
        raise ValidationError("give at least one URL")
    problems = [f"target_urls: {p}" for p in map(_url_problem, urls) if p]
    if problems:
        raise ValidationError("Some target URLs cannot be scraped.", problems)
    return urls


def _url_problem(url: str) -> str | None:
    """Why the engine must not be pointed at ``url``, judged by the URL policy as written (no
    DNS: saving must not hang on a resolver; the fetcher checks resolved names), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"'{url[:60]}…' is longer than {MAX_URL_LENGTH:,} characters"
    try:
        check_target_url(url, allow_private=AddressPolicy.from_settings(), resolve=False)
    except ValidationError as exc:
        return str(exc)
    return None


def _check_schema(session: Session, actor: Actor, schema_id: Any) -> uuid.UUID | None:
    if schema_id in (None, ""):
        return None
    try:
        return schemas.get_schema(session, actor, str(schema_id)).id
    except NotFound:
        raise ValidationError(f"there is no schema {schema_id} that you can read") from None


def _check_package(value: Any) -> dict[str, Any]:
    doc = parse_json(value, "the text") if isinstance(value, str) else value
    if not isinstance(doc, dict):
        raise ValidationError("must be a JSON object (see the config package format in the "
                              "README)")
    try:
        parse_package(doc)
    except ValidationError as exc:
        raise ValidationError(str(exc), [f"config_package.{p}" for p in exc.problems]) from None
    return doc


def _check_pagination(given: Any, raw: Any) -> tuple[PaginationType, dict[str, Any]]:
    if given not in tuple(PaginationType):
        raise _located(f"pagination_type: must be one of {', '.join(PaginationType)}, "
                       f"not {given!r}")
    kind = PaginationType(given)
    if not isinstance(raw, Mapping):
        raise _located("pagination: must be an object")
    if kind == PaginationType.NONE:
        if raw:
            raise _located("pagination: only applies when pagination_type is next_button or "
                           "url_pattern")
        return kind, {}
    if "type" in raw:
        raise _located("pagination.type: give the type as pagination_type instead")
    pagination = dict(raw)
    parse_pagination(kind, pagination)
    if kind == PaginationType.URL_PATTERN:
        first = pagination["pattern"].replace("{page}", "1")
        problem = _url_problem(first) if urlsplit(first).scheme else None
        if problem:
            raise _located(f"pagination.pattern: {problem}")
    return kind, pagination


_OPTION_TYPES: dict[str, tuple[tuple[type, ...], str]] = {
    "int": ((int,), "a whole number"), "float": ((int, float), "a number"),
    "bool": ((bool,), "true or false"), "str": ((str,), "text")}
_OPTION_RANGES: tuple[tuple[str, Callable[[Any], bool], str], ...] = (
    ("max_pages", lambda v: v >= 1, "must be 1 or more"),
    ("delay_between_requests", lambda v: v >= 0, "must be 0 or more (seconds)"),
    ("concurrency", lambda v: 1 <= v <= MAX_CONCURRENCY, f"must be from 1 to {MAX_CONCURRENCY}"),
    ("timeout", lambda v: v > 0, "must be more than 0 (seconds)"),
    ("max_charge_usd", lambda v: v >= 0, "must be 0 (no cap) or more (USD)"),
    ("max_items_per_run", lambda v: v >= 0, "must be 0 (no cap) or more"),
)


def _check_options(raw: Any) -> JobOptions:
    if not isinstance(raw, Mapping):
        raise ValidationError("must be an object")
    kinds = {f.name: str(f.type) for f in fields(JobOptions)}
    problems: list[str] = []
    values: dict[str, Any] = {}
    for key, value in raw.items():
        problem = _type_problem(value, kinds[key]) if key in kinds else _unknown_key(key, kinds)
        if problem:
            problems.append(f"options.{key}: {problem}")
        else:
            values[key] = _normalised(value, kinds[key])
    problems += [f"options.{name}: {rule}, not {values[name]!r}"
                 for name, ok, rule in _OPTION_RANGES if name in values and not ok(values[name])]
    options = JobOptions(**values)
    problems += _text_option_problems(options)
    if problems:
        raise ValidationError("Some options are not valid.", problems)
    return options


def _normalised(value: Any, kind: str) -> Any:
    if kind == "float":
        return float(value)
    return value.strip() if kind == "str" else value


def _type_problem(value: Any, kind: str) -> str | None:
    types, wanted = _OPTION_TYPES[kind]
    wrong_type = (isinstance(value, bool) and kind != "bool") or not isinstance(value, types)
    if wrong_type:
        return f"must be {wanted}, not {value!r}"
    if kind == "float" and not math.isfinite(value):
        return f"must be a finite number, not {value!r}"
    return None


def _text_option_problems(options: JobOptions) -> list[str]:
    problems = []
    if options.wait_for.strip():
        if not options.render_javascript:
            problems.append("options.wait_for: only applies when render_javascript is on")
        elif css_problem(options.wait_for):
            problems.append(f"options.wait_for: {css_problem(options.wait_for)}")
    agent = options.user_agent
    if len(agent) > MAX_USER_AGENT or not (agent.isascii() and agent.isprintable()):
        problems.append(f"options.user_agent: must be one line of at most {MAX_USER_AGENT} "
                        "printable ASCII characters (it is sent as an HTTP header)")
    return problems


def _check_schedule(cron: Any, zone: Any) -> tuple[str | None, str]:
    """Both parts are checked, so a bad expression and a bad zone are reported together."""
    problems: list[str] = []
    text = _collect(problems, "schedule_cron", lambda: _check_cron(cron), None)
    zone_name = _collect(problems, "schedule_timezone",
                         lambda: check_timezone(_text(zone or "UTC")).key, "")
    if problems:
        raise ValidationError("The schedule is not valid.", problems)
    return text, zone_name


def _check_cron(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return parse_cron(_text(value))


def _unknown_key(key: str, known: Collection[str]) -> str:
    close = difflib.get_close_matches(key, list(known), n=1)
    if close:
        return f"unknown key; did you mean '{close[0]}'?"
    return f"unknown key (expected: {', '.join(known)})"


# -- reading --------------------------------------------------------------------------------------

def _load(session: Session, actor: Actor, job_id: uuid.UUID | str) -> ScrapingJob:
    return get_readable(session, ScrapingJob, job_id, actor, "Job")


def _detail(session: Session, actor: Actor, row: ScrapingJob) -> JobDetail:
    owner = session.scalar(select(User.email).where(User.id == row.user_id)) or ""
    schema = (session.get(ExtractorSchema, row.extractor_schema_id)
              if row.extractor_schema_id else None)
    upcoming = (next_run_times(row.schedule_cron, row.schedule_timezone, utcnow())
                if row.schedule_cron else [])
    return JobDetail(
        id=row.id, name=row.name, description=row.description or "",
        target_urls=list(row.target_urls or [row.target_url]),
        extractor_schema_id=row.extractor_schema_id,
        schema_name=schema.name if schema else None,
        schema_version=schema.version if schema else None,
        config_package=row.config_package, pagination_type=row.pagination_type,
        pagination=row.pagination or {}, options=JobOptions.from_stored(row.options),
        schedule_cron=row.schedule_cron, schedule_timezone=row.schedule_timezone,
        next_run_at=row.next_run_at, next_runs=upcoming, owner_email=owner,
        can_change=can_change(actor, row.user_id), created_at=row.created_at,
        updated_at=row.updated_at)


LIST_COLUMNS = ["id", "name", "owner", "targets", "first_target", "schema", "pagination",
                "schedule", "next_run_at", "updated_at"]


def list_jobs(session: Session, actor: Actor, search: str = "") -> pd.DataFrame:
    """The jobs the actor can see (their own; every job for admins), last changed first."""
    query = (select(ScrapingJob, User.email, ExtractorSchema.name, ExtractorSchema.version)
             .join(User, User.id == ScrapingJob.user_id)
             .outerjoin(ExtractorSchema, ExtractorSchema.id == ScrapingJob.extractor_schema_id)
             .order_by(ScrapingJob.updated_at.desc()))
    if not actor.is_admin:
        query = query.where(ScrapingJob.user_id == actor.id)
    if search.strip():
        query = query.where(ScrapingJob.name.ilike(f"%{search.strip()}%"))
    rows = [(job.id, job.name, email, len(job.target_urls or [job.target_url]), job.target_url,
             f"{schema_name} v{version}" if schema_name else "", job.pagination_type,
             f"{job.schedule_cron} ({job.schedule_timezone})" if job.schedule_cron else "",
             job.next_run_at, job.updated_at)
            for job, email, schema_name, version in session.execute(query)]
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def get_job(session: Session, actor: Actor, job_id: uuid.UUID | str) -> JobDetail:
    return _detail(session, actor, _load(session, actor, job_id))


def preview_schedule(cron: str, timezone: str = "UTC",
                     count: int = PREVIEW_COUNT) -> list[datetime]:
    """The next ``count`` run times from now, in the zone; [] for a blank expression. Cron and
    zone problems are reported together, named as on a job."""
    text, zone = _check_schedule(cron, timezone)
    return next_run_times(text, zone, utcnow(), count) if text else []


# -- changing -------------------------------------------------------------------------------------

def _snapshot(row: ScrapingJob) -> dict[str, Any]:
    return {"name": row.name, "target_urls": row.target_urls,
            "extractor_schema_id": _id_text(row.extractor_schema_id),
            "pagination_type": row.pagination_type, "pagination": row.pagination,
            "options": row.options, "schedule_cron": row.schedule_cron,
            "schedule_timezone": row.schedule_timezone}


def _id_text(value: uuid.UUID | None) -> str | None:
    return None if value is None else str(value)


def _apply(row: ScrapingJob, clean: _Clean) -> None:
    schedule_changed = ((row.schedule_cron, row.schedule_timezone)
                        != (clean.schedule_cron, clean.schedule_timezone))
    row.name, row.description = clean.name, clean.description
    row.target_url, row.target_urls = clean.target_urls[0], clean.target_urls
    row.extractor_schema_id, row.config_package = clean.schema_id, clean.config_package
    row.pagination_type, row.pagination = clean.pagination_type, clean.pagination
    row.options = clean.options.to_dict()
    row.schedule_cron, row.schedule_timezone = clean.schedule_cron, clean.schedule_timezone
    if clean.schedule_cron is None:
        row.next_run_at = None
    elif schedule_changed or row.next_run_at is None:
        row.next_run_at = next_run_utc(clean.schedule_cron, clean.schedule_timezone, utcnow())


def create_job(session: Session, actor: Actor, data: JobInput) -> JobDetail:
    require_writer(actor)
    row = ScrapingJob(user_id=actor.id)
    _apply(row, _clean(session, actor, data))
    session.add(row)
    session.flush()
    audit.record(session, actor, "job.create", "scraping_job", row.id, new=_snapshot(row))
    return _detail(session, actor, row)


def update_job(session: Session, actor: Actor, job_id: uuid.UUID | str,
               data: JobInput) -> JobDetail:
    row = _load(session, actor, job_id)
    require_change(actor, row.user_id, "job")
    clean = _clean(session, actor, data)
    old = _snapshot(row)
    _apply(row, clean)
    session.flush()
    audit.record(session, actor, "job.update", "scraping_job", row.id, old=old,
                 new=_snapshot(row))
    return _detail(session, actor, row)


def duplicate_job(session: Session, actor: Actor, job_id: uuid.UUID | str,
                  name: str = "") -> JobDetail:
    """A copy owned by the actor, without the schedule: copying never doubles scheduled
    scraping (add a schedule to the copy when that is what you want)."""
    row = _load(session, actor, job_id)
    return create_job(session, actor, JobInput(
        name=name or f"Copy of {row.name}"[:MAX_NAME], description=row.description or "",
        target_urls=list(row.target_urls or [row.target_url]),
        extractor_schema_id=row.extractor_schema_id, config_package=row.config_package,
        pagination_type=row.pagination_type, pagination=row.pagination or {},
        options=JobOptions.from_stored(row.options).to_dict(),
        schedule_timezone=row.schedule_timezone))


def delete_job(session: Session, actor: Actor, job_id: uuid.UUID | str) -> None:
    """Delete the job with its runs and results; refused while a run of it is in progress."""
    row = _load(session, actor, job_id)
    require_change(actor, row.user_id, "job")
    active = session.scalar(select(Run.id).where(Run.job_id == row.id,
                                                 Run.status.in_(runs.WorkStatus.ACTIVE)).limit(1))
    if active is not None:
        raise Conflict(f"'{row.name}' has a run in progress; cancel it or wait for it to end.")
    audit.record(session, actor, "job.delete", "scraping_job", row.id, old=_snapshot(row))
    session.delete(row)


# -- the job file ---------------------------------------------------------------------------------

DOCUMENT_KEYS = ("name", "description", "target_urls", "extractor_schema_id", "config_package",
                 "pagination_type", "pagination", "options", "schedule_cron", "schedule_timezone")
# What ``jobs show`` adds for reading; a job file may carry them and they are ignored.
READ_ONLY_KEYS = ("id", "owner", "schema", "next_run_at", "next_runs", "created_at",
                  "updated_at")


def job_to_document(session: Session, actor: Actor, job_id: uuid.UUID | str) -> dict[str, Any]:
    """The job as a job file (``jobs create --file`` reads it back)."""
    job = get_job(session, actor, job_id)
    return {"name": job.name, "description": job.description, "target_urls": job.target_urls,
            "extractor_schema_id": _id_text(job.extractor_schema_id),
            "config_package": job.config_package, "pagination_type": job.pagination_type,
            "pagination": job.pagination, "options": job.options.to_dict(),
            "schedule_cron": job.schedule_cron, "schedule_timezone": job.schedule_timezone}


def job_from_document(text: str) -> JobInput:
    """Read a job file; its values are checked when the job is saved."""
    doc = parse_json(text, "The job file")
    if not isinstance(doc, dict):
        raise ValidationError("The job file must be a JSON object with at least name, "
                              "target_urls and config_package (see the README's \"Job file\").")
    unknown = [f"{key}: {_unknown_key(key, DOCUMENT_KEYS)}" for key in doc
               if key not in DOCUMENT_KEYS and key not in READ_ONLY_KEYS]
    if unknown:
        raise ValidationError("The job file has keys ScrapeDeck does not know:", unknown)
    def value(key: str, default: Any) -> Any:  # a key left out or null takes its default
        return default if doc.get(key) is None else doc[key]

    return JobInput(
        name=value("name", ""), description=value("description", ""),
        target_urls=value("target_urls", []), config_package=value("config_package", ""),
        extractor_schema_id=value("extractor_schema_id", None),
        pagination_type=value("pagination_type", PaginationType.NONE),
        pagination=value("pagination", {}),
        options=value("options", {}), schedule_cron=value("schedule_cron", None),
        schedule_timezone=value("schedule_timezone", "UTC"))
