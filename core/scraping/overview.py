"""The figures on the Overview page: what exists so far, for the acting user, and their latest
runs, builds and SEO crawls."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from core.platform.access import Actor
from db.models import Build, ExtractorSchema, LoginAttempt, Run, ScrapingJob, SeoCrawl, User
from db.types import utcnow
from vocabularies import WorkStatus


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
    runs_with_errors_24h: int  # completed, but lost some of their URLs
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
        active_runs=_count(session, runs.where(Run.status.in_(WorkStatus.ACTIVE))),
        runs_24h=_count(session, recent),
        failed_runs_24h=_count(session, recent.where(Run.status == WorkStatus.FAILED)),
        runs_with_errors_24h=_count(session, recent.where(
            Run.status == WorkStatus.COMPLETED_WITH_ERRORS)),
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


RECENT = 5  # rows in each "recent" list


@dataclass(frozen=True)
class RecentWork:
    """One recent run, build or SEO crawl: what it is called, its state and when it started."""

    id: uuid.UUID
    name: str
    status: str  # a WorkStatus (runs, crawls) or a BuildStatus value
    created_at: datetime


@dataclass(frozen=True)
class Recent:
    runs: tuple[RecentWork, ...]
    builds: tuple[RecentWork, ...]
    crawls: tuple[RecentWork, ...]

    @property
    def empty(self) -> bool:
        return not (self.runs or self.builds or self.crawls)


def recent_work(session: Session, actor: Actor, limit: int = RECENT) -> Recent:
    """The actor's latest runs (with their job's name), builds (their objective) and SEO crawls
    (their start URL), newest first. Everyone's own: the Overview is about one's own work."""
    def latest(query: Select[uuid.UUID, str, str, datetime],
               model: type[Run] | type[Build] | type[SeoCrawl]) -> tuple[RecentWork, ...]:
        rows = session.execute(query.where(model.user_id == actor.id)
                               .order_by(model.created_at.desc()).limit(limit))
        return tuple(RecentWork(*row) for row in rows)
    return Recent(
        runs=latest(select(Run.id, ScrapingJob.name, Run.status, Run.created_at)
                    .join(ScrapingJob, ScrapingJob.id == Run.job_id), Run),
        builds=latest(select(Build.id, Build.user_objective, Build.status, Build.created_at),
                      Build),
        crawls=latest(select(SeoCrawl.id, SeoCrawl.start_url, SeoCrawl.status,
                             SeoCrawl.created_at), SeoCrawl))
