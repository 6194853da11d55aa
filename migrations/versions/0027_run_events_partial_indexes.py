"""run_events: each workflow column's index holds only the rows of that kind of workflow

An event belongs to exactly one workflow, so five of its six workflow columns are NULL, and each
of the six indexes (column, occurred_at) held an entry for every event, the five NULL ones
included: six index writes per event where one is used. A crawl writes one event per page, so
they were a good part of its write. The indexes are now partial (``WHERE column IS NOT NULL``);
every query of them asks for one workflow's id (``column = …``), which implies the predicate on
both databases, and so do the foreign keys' ON DELETE CASCADE look-ups.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 08:50:00
"""
from __future__ import annotations

from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

COLUMNS = ("run_id", "build_id", "crawl_id", "report_id", "provider_run_id", "agent_job_id")


def _rebuild(partial: bool) -> None:
    for column in COLUMNS:
        name = f"ix_run_events_{column}_occurred_at"
        where = f" WHERE {column} IS NOT NULL" if partial else ""
        op.execute(f"DROP INDEX {name}")
        op.execute(f"CREATE INDEX {name} ON run_events ({column}, occurred_at){where}")


def upgrade() -> None:
    _rebuild(partial=True)


def downgrade() -> None:
    _rebuild(partial=False)
