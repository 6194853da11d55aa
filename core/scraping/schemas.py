"""Extractor schemas (seed 002): JSON Schema documents that extracted items must match.

Versions: every version is a row; versions of one schema share ``family_id``. Editing a version
that no job uses changes it in place; editing one that a job uses makes version N+1, and the job
keeps the version it was built with. Public schemas are readable by everyone and changeable by
their owner and admins.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from collections.abc import Callable
from typing import Any, TypeVar

import pandas as pd
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.platform import audit
from core.platform.access import Actor, can_change, require_change, require_writer
from core.platform.errors import Conflict, NotFound, ValidationError
from core.platform.jsondoc import Violation, check_json_schema, effective_schema, parse_json, validate_instance
from core.platform.records import get_readable
from core.accounts.users import check_name
from db.models import ExtractorSchema, ScrapingJob, User

MAX_DESCRIPTION = 5_000
T = TypeVar("T")


@dataclass(frozen=True)
class SchemaInput:
    """What a user submits: the definition as typed text (or an already-parsed document)."""

    name: str
    definition: str | dict[str, Any]
    description: str = ""
    strict_validation: bool = True
    allow_extra_fields: bool = True
    is_public: bool = False


@dataclass(frozen=True)
class SchemaDetail:
    id: uuid.UUID
    family_id: uuid.UUID
    version: int
    name: str
    description: str
    definition: dict[str, Any]
    strict_validation: bool
    allow_extra_fields: bool
    is_public: bool
    owner_email: str
    can_change: bool
    used_by_jobs: list[str] = field(default_factory=list)
    versions: list[int] = field(default_factory=list)
    updated_at: datetime | None = None


@dataclass(frozen=True)
class SaveOutcome:
    schema: SchemaDetail
    new_version: bool  # True when the edit made a new version because a job uses the old one


def _collect(problems: list[str], check: Callable[[], T], fallback: T) -> T:
    try:
        return check()
    except ValidationError as exc:
        problems.append(str(exc))
        return fallback


def _clean(data: SchemaInput) -> tuple[str, str, dict[str, Any]]:
    """Check every part and report all problems at once, so one save shows everything to fix."""
    problems: list[str] = []
    name = _collect(problems, lambda: check_name(data.name), "")
    description = _collect(problems, lambda: _check_description(data.description), "")
    definition: dict[str, Any] = _collect(problems, lambda: check_json_schema(
        data.definition if isinstance(data.definition, dict)
        else parse_json(data.definition, "The schema")), {})
    if problems:
        raise ValidationError("The schema was not saved:", problems)
    return name, description, definition


def _check_description(text: str) -> str:
    if len(text) > MAX_DESCRIPTION:
        raise ValidationError(f"Description is longer than {MAX_DESCRIPTION} characters.")
    return text.strip()


def _visible(actor: Actor):  # type: ignore[no-untyped-def]
    if actor.is_admin:
        return True
    return or_(ExtractorSchema.user_id == actor.id, ExtractorSchema.is_public.is_(True))


def _load(session: Session, actor: Actor, schema_id: uuid.UUID | str) -> ExtractorSchema:
    return get_readable(session, ExtractorSchema, schema_id, actor, "Schema")


def _jobs_using(session: Session, schema_ids: list[uuid.UUID]) -> list[str]:
    return list(session.scalars(select(ScrapingJob.name)
                                .where(ScrapingJob.extractor_schema_id.in_(schema_ids))
                                .order_by(ScrapingJob.name)))


def _detail(session: Session, actor: Actor, row: ExtractorSchema) -> SchemaDetail:
    owner = session.scalar(select(User.email).where(User.id == row.user_id)) or ""
    versions = list(session.scalars(select(ExtractorSchema.version)
                                    .where(ExtractorSchema.family_id == row.family_id)
                                    .order_by(ExtractorSchema.version)))
    return SchemaDetail(
        id=row.id, family_id=row.family_id, version=row.version, name=row.name,
        description=row.description or "", definition=row.schema_definition,
        strict_validation=row.strict_validation, allow_extra_fields=row.allow_extra_fields,
        is_public=row.is_public, owner_email=owner, can_change=can_change(actor, row.user_id),
        used_by_jobs=_jobs_using(session, [row.id]), versions=versions, updated_at=row.updated_at)


LIST_COLUMNS = ["id", "name", "version", "owner", "public", "strict", "extra_fields", "fields",
                "updated_at"]


def list_schemas(session: Session, actor: Actor, search: str = "") -> pd.DataFrame:
    """The latest version of every schema the actor can read, newest first."""
    latest = (select(ExtractorSchema.family_id, func.max(ExtractorSchema.version).label("v"))
              .group_by(ExtractorSchema.family_id).subquery())
    query = (select(ExtractorSchema, User.email)
             .join(latest, (latest.c.family_id == ExtractorSchema.family_id)
                   & (latest.c.v == ExtractorSchema.version))
             .join(User, User.id == ExtractorSchema.user_id)
             .where(_visible(actor))
             .order_by(ExtractorSchema.updated_at.desc()))
    if search.strip():
        query = query.where(ExtractorSchema.name.ilike(f"%{search.strip()}%"))
    rows = [(s.id, s.name, s.version, email, s.is_public, s.strict_validation,
             s.allow_extra_fields, len(s.schema_definition.get("properties", {})), s.updated_at)
            for s, email in session.execute(query)]
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


def get_schema(session: Session, actor: Actor, schema_id: uuid.UUID | str) -> SchemaDetail:
    return _detail(session, actor, _load(session, actor, schema_id))


def get_version(session: Session, actor: Actor, schema_id: uuid.UUID | str,
                version: int) -> SchemaDetail:
    row = _load(session, actor, schema_id)
    other = session.scalar(select(ExtractorSchema).where(
        ExtractorSchema.family_id == row.family_id, ExtractorSchema.version == version))
    if other is None:
        raise NotFound(f"Version {version} of this schema does not exist.")
    return _detail(session, actor, other)


def _snapshot(row: ExtractorSchema) -> dict[str, Any]:
    return {"name": row.name, "version": row.version, "is_public": row.is_public,
            "strict_validation": row.strict_validation,
            "allow_extra_fields": row.allow_extra_fields}


def create_schema(session: Session, actor: Actor, data: SchemaInput) -> SchemaDetail:
    require_writer(actor)
    name, description, definition = _clean(data)
    row = ExtractorSchema(
        user_id=actor.id, family_id=uuid.uuid4(), version=1, name=name, description=description,
        schema_definition=definition, strict_validation=data.strict_validation,
        allow_extra_fields=data.allow_extra_fields, is_public=data.is_public)
    session.add(row)
    session.flush()
    audit.record(session, actor, "schema.create", "extractor_schema", row.id, new=_snapshot(row))
    return _detail(session, actor, row)


def update_schema(session: Session, actor: Actor, schema_id: uuid.UUID | str,
                  data: SchemaInput) -> SaveOutcome:
    row = _load(session, actor, schema_id)
    require_change(actor, row.user_id, "schema")
    name, description, definition = _clean(data)
    old = _snapshot(row)
    new_version = bool(_jobs_using(session, [row.id]))
    if new_version:
        top = session.scalar(select(func.max(ExtractorSchema.version))
                             .where(ExtractorSchema.family_id == row.family_id))
        row = ExtractorSchema(user_id=row.user_id, family_id=row.family_id, version=(top or 0) + 1)
        session.add(row)
    row.name, row.description, row.schema_definition = name, description, definition
    row.strict_validation, row.allow_extra_fields = data.strict_validation, data.allow_extra_fields
    row.is_public = data.is_public
    session.flush()
    audit.record(session, actor, "schema.update", "extractor_schema", row.id, old=old,
                 new=_snapshot(row))
    return SaveOutcome(schema=_detail(session, actor, row), new_version=new_version)


def duplicate_schema(session: Session, actor: Actor, schema_id: uuid.UUID | str,
                     name: str = "") -> SchemaDetail:
    """A private copy, owned by the actor, as version 1 of a new schema."""
    row = _load(session, actor, schema_id)
    return create_schema(session, actor, SchemaInput(
        name=name or f"Copy of {row.name}"[:200], definition=row.schema_definition,
        description=row.description or "", strict_validation=row.strict_validation,
        allow_extra_fields=row.allow_extra_fields, is_public=False))


def delete_schema(session: Session, actor: Actor, schema_id: uuid.UUID | str) -> int:
    """Delete every version of the schema; refused while a job uses any of them."""
    row = _load(session, actor, schema_id)
    require_change(actor, row.user_id, "schema")
    family = list(session.scalars(select(ExtractorSchema)
                                  .where(ExtractorSchema.family_id == row.family_id)))
    jobs = _jobs_using(session, [s.id for s in family])
    if jobs:
        raise Conflict(f"'{row.name}' is used by job(s): {', '.join(jobs)}. "
                       "Change or delete those jobs first.")
    for version in family:
        session.delete(version)
    audit.record(session, actor, "schema.delete", "extractor_schema", row.family_id,
                 old=_snapshot(row))
    return len(family)


@dataclass(frozen=True)
class SampleCheck:
    valid: bool
    violations: list[Violation]
    strict: bool

    @property
    def verdict(self) -> str:
        if self.valid:
            return "The sample matches the schema."
        if self.strict:
            return "Strict validation: an item like this would be rejected."
        return "Not strict: an item like this would be kept, with these warnings."


def try_sample(session: Session, actor: Actor, schema_id: uuid.UUID | str,
               sample: str) -> SampleCheck:
    """Validate a sample item (JSON text) against the schema, with every violation's path."""
    row = _load(session, actor, schema_id)
    instance = parse_json(sample, "The sample")
    schema = effective_schema(row.schema_definition, row.allow_extra_fields)
    violations = validate_instance(schema, instance)
    return SampleCheck(valid=not violations, violations=violations, strict=row.strict_validation)


def export_document(session: Session, actor: Actor, schema_id: uuid.UUID | str) -> dict[str, Any]:
    """A portable document (``schemas import`` reads it back)."""
    row = _load(session, actor, schema_id)
    return {"name": row.name, "description": row.description or "",
            "strict_validation": row.strict_validation,
            "allow_extra_fields": row.allow_extra_fields, "is_public": row.is_public,
            "schema_definition": row.schema_definition}


def import_document(session: Session, actor: Actor, text: str) -> SchemaDetail:
    doc = parse_json(text, "The file")
    if not isinstance(doc, dict) or "schema_definition" not in doc or "name" not in doc:
        raise ValidationError("The file must be an object with 'name' and 'schema_definition' "
                              "(the format `schemas export` writes).")
    return create_schema(session, actor, SchemaInput(
        name=str(doc["name"]), definition=doc["schema_definition"],
        description=str(doc.get("description", "")),
        strict_validation=bool(doc.get("strict_validation", True)),
        allow_extra_fields=bool(doc.get("allow_extra_fields", True)),
        is_public=bool(doc.get("is_public", False))))
