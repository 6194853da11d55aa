"""Selectors that heal: per job and field, the primary selector and its fallbacks with how often
they read a value (seed 001's ``element_selectors``), kept up to date by every run.

A run counts, per field, every record it extracted (an attempt), how many read a value with the
primary selector, how many needed a fallback (and which one) and how many stayed empty
(:func:`count_reads`); each flush adds its counts to the job's rows (:func:`record_reads`). The
Results and Runs pages read them back (:func:`job_selectors`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.access import Actor, require_read
from core.platform.errors import NotFound
from core.scrape.extract import ExtractedRecord
from core.scrape.package import ConfigPackage, FieldSpec
from db.models import ElementSelector, ScrapingJob


@dataclass
class Reads:
    """One field's reads since the last flush."""

    attempts: int = 0
    primary: int = 0
    fallbacks: dict[int, int] = field(default_factory=dict)  # fallback number → records read
    page_url: str = ""  # the page where it last read a value

    @property
    def page_path(self) -> str:
        """That page's path ("" before a value was read): worked out once a flush needs it, not
        for every page. (A fetched page's URL parses; should one not, the flush goes on.)"""
        if not self.page_url:
            return ""
        try:
            return urlsplit(self.page_url).path or "/"
        except ValueError:
            return "/"

    @property
    def empty(self) -> int:
        return self.attempts - self.primary - sum(self.fallbacks.values())


@dataclass(frozen=True)
class SelectorHealth:
    """A field's selectors and record: ``success_rate`` over ``attempts`` (all runs so far),
    ``fallback_hits`` per fallback number, ``last_verified`` when one last read a value."""

    field: str
    primary: str
    fallbacks: list[str]
    success_rate: float
    attempts: int
    primary_hits: int
    fallback_hits: dict[str, int]
    last_verified: datetime | None
    page_path: str


def count_reads(reads: dict[str, Reads], records: Iterable[ExtractedRecord],
                page_url: str) -> None:
    """Add one page's records to ``reads`` (field → Reads)."""
    for record in records:
        for name, ok in record.found.items():
            counted = reads.get(name)
            if counted is None:  # not setdefault: that would build a Reads for every field read
                counted = reads[name] = Reads()
            counted.attempts += 1
            if not ok:
                continue
            counted.page_url = page_url
            number = record.fallbacks.get(name)
            if number:
                counted.fallbacks[number] = counted.fallbacks.get(number, 0) + 1
            else:
                counted.primary += 1


def record_reads(session: Session, job_id: uuid.UUID, user_id: uuid.UUID,
                 package: ConfigPackage, reads: dict[str, Reads], at: datetime) -> None:
    """Add ``reads`` to the job's rows (made on first use from the package's fields)."""
    if not reads:
        return
    specs = {spec.name: spec for spec in _all_fields(package)}
    rows = {row.element_name: row for row in session.scalars(
        select(ElementSelector).where(ElementSelector.job_id == job_id,
                                      ElementSelector.element_name.in_(list(reads))))}
    for name, counted in reads.items():
        if not counted.attempts or name not in specs:
            continue
        row = rows.get(name)
        spec = specs[name]
        page_path = counted.page_path
        if row is None:
            row = ElementSelector(user_id=user_id, job_id=job_id, element_name=name,
                                  page_path=page_path or "/", total_attempts=0,
                                  success_rate=1.0, meta={})
            session.add(row)
        row.primary_selector = _written(spec)
        row.fallback_selectors = [_written(fallback) for fallback in spec.fallbacks]
        meta = dict(row.meta or {})
        primary = int(meta.get("primary_hits", 0)) + counted.primary
        fallback_hits = {str(k): int(v) for k, v in (meta.get("fallback_hits") or {}).items()}
        for number, hits in counted.fallbacks.items():
            fallback_hits[str(number)] = fallback_hits.get(str(number), 0) + hits
        empty = int(meta.get("empty", 0)) + counted.empty
        attempts = row.total_attempts + counted.attempts
        row.total_attempts = attempts
        row.success_rate = (primary + sum(fallback_hits.values())) / attempts
        row.meta = {**meta, "primary_hits": primary, "fallback_hits": fallback_hits,
                    "empty": empty}
        if counted.attempts > counted.empty:
            row.last_verified = at
            row.page_path = page_path or row.page_path
    session.flush()


def job_selectors(session: Session, actor: Actor, job_id: uuid.UUID | str) -> list[SelectorHealth]:
    """The job's fields with their selectors' record, in field-name order."""
    job = session.get(ScrapingJob, uuid.UUID(str(job_id)))
    if job is None:
        raise NotFound("Job not found.")
    require_read(actor, job.user_id, False, "Job")
    rows = session.scalars(select(ElementSelector).where(ElementSelector.job_id == job.id)
                           .order_by(ElementSelector.element_name))
    return [SelectorHealth(
        field=row.element_name, primary=row.primary_selector,
        fallbacks=list(row.fallback_selectors or []), success_rate=row.success_rate,
        attempts=row.total_attempts, primary_hits=int((row.meta or {}).get("primary_hits", 0)),
        fallback_hits=dict((row.meta or {}).get("fallback_hits") or {}),
        last_verified=row.last_verified, page_path=row.page_path) for row in rows]


def _all_fields(package: ConfigPackage) -> list[FieldSpec]:
    return [*package.fields, *(package.detail.fields if package.detail is not None else ())]


def _written(spec: FieldSpec) -> str:
    if spec.selector is None:
        return "(the record's own element)"
    kind: Any = spec.selector.type
    return spec.selector.query if kind == "css" else f"{kind}: {spec.selector.query}"
