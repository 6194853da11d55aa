"""A run's fields, each with its evidence, how often it was filled, and a flag when it looks wrong.

Per field of the job's config package: where it is read (``core.scrape.evidence``), the share of
the run's stored results in which it has a value, the same share over the job's previous runs,
a confidence (the source's weight times this run's share), and the reason it is flagged: filled
in few results, read by position only, or, above all, filled far less often than in the job's
previous runs ("price empty on 60 % of pages since this run: the site changed?").
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.platform.access import Actor
from core.scrape.evidence import LOW_CONFIDENCE, spec_source
from core.scraping.results import field_fill_rates, load_run
from core.scraping.selector_health import job_selectors
from db.models import Run, ScrapingJob
from vocabularies import WorkStatus

PREVIOUS_RUNS = 3  # the job's runs before this one that the fill rate is compared with
DROP = 0.3  # a field filled this much less often (absolute share) than before is flagged
SPARSE = 0.5  # a field filled in less than this share of results is flagged


@dataclass(frozen=True)
class FieldHealth:
    """One field of a run: ``share`` of results filled in this run (None: no results stored),
    ``before`` over the previous runs (None: none to compare with), and why it is flagged
    ("" when it is not). ``dropped``: its fill rate fell against the previous runs."""

    field: str
    source: str
    selector: str
    share: float | None
    before: float | None
    confidence: float | None
    reason: str
    dropped: bool = False
    # its selectors' record over all the job's runs (``core.scraping.selector_health``)
    attempts: int = 0
    success_rate: float | None = None
    fallback_hits: int = 0  # values read by a fallback because the primary found nothing
    last_verified: datetime | None = None

    @property
    def flagged(self) -> bool:
        return bool(self.reason)


def run_field_health(session: Session, actor: Actor, run_id: uuid.UUID | str) -> list[FieldHealth]:
    """Every field of the run's job, in the package's order, with its evidence and flags."""
    run = load_run(session, actor, run_id)
    job = session.get(ScrapingJob, run.job_id)
    fields = ((job.config_package if job is not None else None) or {}).get("fields") or {}
    now = _shares(session, actor, run.id)
    earlier = session.scalars(
        select(Run.id).where(Run.job_id == run.job_id, Run.id != run.id,
                             Run.created_at < run.created_at, Run.items_extracted > 0,
                             Run.status.in_((WorkStatus.COMPLETED, WorkStatus.COMPLETED_WITH_ERRORS)))
        .order_by(Run.created_at.desc()).limit(PREVIOUS_RUNS)).all()
    before_runs: list[dict[str, float]] = [
        shares for earlier_id in earlier
        if (shares := _shares(session, actor, earlier_id)) is not None]
    record = {s.field: s for s in job_selectors(session, actor, run.job_id)}
    found = []
    for name, spec in fields.items():
        source = spec_source(spec)
        share = None if now is None else now.get(name, 0.0)
        before = (sum(s.get(name, 0.0) for s in before_runs) / len(before_runs)
                  if before_runs else None)
        confidence = None if share is None else round(source.weight * share, 2)
        reasons, dropped = [], False
        if share is not None and before is not None and before - share >= DROP:
            dropped = True
            reasons.append(f"{name} empty on {1 - share:.0%} of pages since this run (filled "
                           f"on {before:.0%} in the previous runs): the site changed?")
        elif share is not None and share < SPARSE:
            reasons.append(f"filled in {share:.0%} of results")
        if source.kind == "position in the page":
            reasons.append("read by its position only (no label, class or structured data)")
        if confidence is not None and confidence < LOW_CONFIDENCE and not reasons:
            reasons.append(f"low confidence ({confidence:.2f})")
        kept = record.get(name)
        if kept is not None and kept.attempts and sum(kept.fallback_hits.values()) and \
                not kept.primary_hits:
            reasons.append("its primary selector finds nothing any more: a fallback reads it")
        found.append(FieldHealth(
            name, source.kind, source.selector, share, before, confidence, "; ".join(reasons),
            dropped, attempts=kept.attempts if kept else 0,
            success_rate=kept.success_rate if kept else None,
            fallback_hits=sum(kept.fallback_hits.values()) if kept else 0,
            last_verified=kept.last_verified if kept else None))
    return found


def _shares(session: Session, actor: Actor, run_id: uuid.UUID) -> dict[str, float] | None:
    fill = field_fill_rates(session, actor, run_id)
    if not fill.sampled:
        return None
    return {str(row.field): float(row.share) for row in fill.frame.itertuples()}
