"""The figures on the Overview page: what exists so far, for the acting user."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core.access import Actor
from db.models import ExtractorSchema, LoginAttempt, Run, ScrapingJob, User
from db.types import utcnow


@dataclass(frozen=True)
class AdminFigures:
    active_users: int
    suspended_users: int
    sign_ins_24h: int
    failed_sign_ins_24h: int


@dataclass(frozen=True)
class ScrapingFigures:
    jobs: int
    scheduled_jobs: int
    active_runs: int
    runs_24h: int
    failed_runs_24h: int
    items_stored: int


@dataclass(frozen=True)
class Overview:
    my_schemas: int
    public_schemas: int
    schema_versions: int
    scraping: ScrapingFigures
    admin: AdminFigures | None


def _count(session: Session, query) -> int:  # type: ignore[no-untyped-def]
    return session.scalar(query) or 0


def overview(session: Session, actor: Actor) -> Overview:
    schemas = select(func.count(func.distinct(ExtractorSchema.family_id)))
    return Overview(
        my_schemas=_count(session, schemas.where(ExtractorSchema.user_id == actor.id)),
        public_schemas=_count(session, schemas.where(ExtractorSchema.is_public.is_(True))),
        schema_versions=_count(session, select(func.count(ExtractorSchema.id)).where(
            or_(ExtractorSchema.user_id == actor.id, ExtractorSchema.is_public.is_(True)))),
        scraping=_scraping_figures(session, actor),
        admin=_admin_figures(session) if actor.is_admin else None,
    )


def _scraping_figures(session: Session, actor: Actor) -> ScrapingFigures:
    """The actor's own jobs and runs (an admin's too: the Runs page shows them everything)."""
    day_ago = utcnow() - timedelta(hours=24)
    jobs = select(func.count(ScrapingJob.id)).where(ScrapingJob.user_id == actor.id)
    runs = select(func.count(Run.id)).where(Run.user_id == actor.id)
    recent = runs.where(Run.created_at >= day_ago)
    return ScrapingFigures(
        jobs=_count(session, jobs),
        scheduled_jobs=_count(session, jobs.where(ScrapingJob.schedule_cron.is_not(None))),
        active_runs=_count(session, runs.where(Run.status.in_(("queued", "running")))),
        runs_24h=_count(session, recent),
        failed_runs_24h=_count(session, recent.where(Run.status == "failed")),
        items_stored=_count(session, select(func.coalesce(func.sum(Run.items_extracted), 0))
                            .where(Run.user_id == actor.id)))


def _admin_figures(session: Session) -> AdminFigures:
    day_ago = utcnow() - timedelta(hours=24)
    attempts = select(func.count(LoginAttempt.id)).where(LoginAttempt.attempted_at >= day_ago)
    return AdminFigures(
        active_users=_count(session, select(func.count(User.id)).where(User.suspended_at.is_(None))),
        suspended_users=_count(session, select(func.count(User.id))
                               .where(User.suspended_at.is_not(None))),
        sign_ins_24h=_count(session, attempts.where(LoginAttempt.success.is_(True))),
        failed_sign_ins_24h=_count(session, attempts.where(LoginAttempt.success.is_(False))),
    )
