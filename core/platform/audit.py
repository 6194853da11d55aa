"""The audit log: who did what to which record, with the values before and after.

Entries are written by the services, in the transaction of the change (``record``). Reading
(``list_entries``, admins only) puts names where ids are stored: the acting user's name and
email, and each record's name — a job's or schema's name, a user's email, a run's job and start,
an SEO crawl's or audit's URL, a build's objective — looked up now, or, for a record since
deleted, taken from the values the entry kept. Changes read as one line per field,
``field: before → after``, values in full.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core.platform.access import Actor, require_admin
from db.models import (AuditLog, Build, Export, ExtractorSchema, LLMProvider, Run, ScrapingJob,
                       SeoCrawl, SeoReport, User)

if TYPE_CHECKING:
    import pandas as pd


def record(session: Session, actor: Actor, action: str, entity_type: str, entity_id: Any,
           old: dict[str, Any] | None = None, new: dict[str, Any] | None = None) -> None:
    """Add an entry in the caller's transaction, so it commits or rolls back with the change."""
    session.add(AuditLog(user_id=actor.id, action=action, entity_type=entity_type,
                         entity_id=None if entity_id is None else str(entity_id),
                         old_values=old, new_values=new))


@dataclass(frozen=True)
class AuditFilter:
    actor_email: str = ""
    action: str = ""
    entity_type: str = ""
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 500


@dataclass(frozen=True)
class Change:
    """One field of an entry: its value before and after (None: not there)."""

    field: str
    before: str | None
    after: str | None

    def __str__(self) -> str:
        if self.before is None:
            return f"{self.field}: {self.after}"
        if self.after is None:
            return f"{self.field}: {self.before} → (removed)"
        return f"{self.field}: {self.before} → {self.after}"


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return json.dumps(value, ensure_ascii=False, default=str)


def changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[Change]:
    """Fields in order of appearance. An update lists only the fields that changed; a creation
    (no ``old``) every new value; a deletion (no ``new``) every old one."""
    old, new = old or {}, new or {}
    found = []
    for key in dict.fromkeys([*old, *new]):
        if key in old and key in new and old[key] == new[key]:
            continue
        found.append(Change(key, _text(old[key]) if key in old else None,
                            _text(new[key]) if key in new else None))
    return found


AUDIT_COLUMNS = ["when", "who", "action", "entity_type", "entity_id", "old_values", "new_values",
                 "who_name", "record", "changes"]


def _ids(values: Iterable[str | None]) -> list[uuid.UUID]:
    found = []
    for value in values:
        try:
            found.append(uuid.UUID(str(value)))
        except ValueError:
            continue
    return found


def _runs(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(Run.id, ScrapingJob.name, Run.created_at)
                           .join(ScrapingJob, ScrapingJob.id == Run.job_id)
                           .where(Run.id.in_(ids)))
    return {rid: f"{name} · run of {at:%Y-%m-%d %H:%M:%S}" for rid, name, at in rows}


def _exports(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    rows = session.execute(select(Export.id, ScrapingJob.name, Export.format)
                           .join(Run, Run.id == Export.run_id)
                           .join(ScrapingJob, ScrapingJob.id == Run.job_id)
                           .where(Export.id.in_(ids)))
    return {eid: f"{name} · {fmt.upper()}" for eid, name, fmt in rows}


def _schemas(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """By version id, and by family id (a deletion names the family)."""
    names: dict[uuid.UUID, str] = {}
    for sid, family, name, version in session.execute(
            select(ExtractorSchema.id, ExtractorSchema.family_id, ExtractorSchema.name,
                   ExtractorSchema.version)
            .where(ExtractorSchema.id.in_(ids) | ExtractorSchema.family_id.in_(ids))):
        names[sid] = f"{name} v{version}"
        names.setdefault(family, name)
    return names


def _column(key: InstrumentedAttribute[uuid.UUID], column: InstrumentedAttribute[str]
            ) -> Callable[[Session, list[uuid.UUID]], dict[uuid.UUID, str]]:
    """The names of a table's rows: ``column`` by ``key`` (its primary key)."""
    def names(session: Session, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
        return {k: name for k, name in session.execute(select(key, column).where(key.in_(ids)))}
    return names


_NAMES: dict[str, Callable[[Session, list[uuid.UUID]], dict[uuid.UUID, str]]] = {
    "user": _column(User.id, User.email), "cost_budgets": _column(User.id, User.email),
    "scraping_job": _column(ScrapingJob.id, ScrapingJob.name), "extractor_schema": _schemas,
    "run": _runs, "export": _exports, "build": _column(Build.id, Build.user_objective),
    "seo_crawl": _column(SeoCrawl.id, SeoCrawl.start_url),
    "seo_report": _column(SeoReport.id, SeoReport.url),
    "llm_provider": _column(LLMProvider.id, LLMProvider.name),
}
_NAME_KEYS = ("name", "email", "job", "url", "objective", "start_url")


def _kept_name(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str | None:
    for values in (new or {}, old or {}):
        for key in _NAME_KEYS:
            if isinstance(values.get(key), str) and values[key]:
                return values[key]
    return None


def _record_names(session: Session, rows: list[Any]) -> list[str]:
    wanted: dict[str, set[str | None]] = {}
    for row in rows:
        wanted.setdefault(row.entity_type, set()).add(row.entity_id)
    known: dict[tuple[str, str], str] = {}
    for kind, ids in wanted.items():
        if kind in _NAMES and (uuids := _ids(ids)):
            known.update(((kind, str(i)), name) for i, name in _NAMES[kind](session, uuids).items())
    names = []
    for row in rows:
        name = known.get((row.entity_type, str(row.entity_id))) or \
            _kept_name(row.old_values, row.new_values)
        if name is None:
            name = f"#{row.entity_id[:8]}" if row.entity_id else ""
        names.append(f"{row.entity_type.replace('_', ' ')}: {name}" if name
                     else row.entity_type.replace("_", " "))
    return names


def list_entries(session: Session, actor: Actor, flt: AuditFilter = AuditFilter()) -> pd.DataFrame:
    """Newest first. Admins only. ``who`` is the user's email, ``who_name`` their name;
    ``record`` the record's type and name; ``changes`` one ``Change`` per field that changed."""
    require_admin(actor)
    query = (select(AuditLog.created_at, User.name, User.email, AuditLog.action,
                    AuditLog.entity_type, AuditLog.entity_id, AuditLog.old_values,
                    AuditLog.new_values)
             .join(User, User.id == AuditLog.user_id)
             .order_by(AuditLog.created_at.desc()).limit(flt.limit))
    if flt.actor_email.strip():
        query = query.where(User.email.contains(flt.actor_email.strip().lower()))
    if flt.action:
        query = query.where(AuditLog.action == flt.action)
    if flt.entity_type:
        query = query.where(AuditLog.entity_type == flt.entity_type)
    if flt.since:
        query = query.where(AuditLog.created_at >= flt.since)
    if flt.until:
        query = query.where(AuditLog.created_at < flt.until)
    rows = list(session.execute(query).all())
    import pandas as pd  # only here: a command that lists nothing starts without it

    return pd.DataFrame([
        (r.created_at, r.email, r.action, r.entity_type, r.entity_id, r.old_values, r.new_values,
         r.name, name, changes(r.old_values, r.new_values))
        for r, name in zip(rows, _record_names(session, rows))], columns=AUDIT_COLUMNS)


def known_actions(session: Session, actor: Actor) -> list[str]:
    require_admin(actor)
    return list(session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)))


def known_entity_types(session: Session, actor: Actor) -> list[str]:
    require_admin(actor)
    return list(session.scalars(select(AuditLog.entity_type).distinct()
                                .order_by(AuditLog.entity_type)))
