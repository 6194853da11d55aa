"""stopped by a budget or a cap: two terminal statuses for runs and crawls, one for builds

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05 14:10:00

``WorkStatus`` gains ``stopped_budget`` (a spending limit was reached: the user's budget, the
plan's credits or longest run) and ``stopped_cap`` (the job's own cap on one run); ``runs`` and
``seo_crawls`` get the wider check constraint. ``BuildStatus`` gains ``stopped_budget``.
Downgrade turns such rows into ``canceled`` (builds: ``failed``).

SQLite: only the text of a CHECK constraint changes, so the table's SQL is edited in the
schema, as in 0017 (batch mode would rebuild ``runs`` and cascade-delete its children).
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'running', 'completed', 'completed_errors', 'failed', 'canceled')"
NEW = ("status IN ('queued', 'running', 'completed', 'completed_errors', 'failed', 'canceled', "
       "'stopped_budget', 'stopped_cap')")
OLD_BUILD = ("status IN ('pending_analysis', 'generating_samples', 'pending_user_feedback', "
             "'processing_feedback', 'confirmed', 'failed')")
NEW_BUILD = ("status IN ('pending_analysis', 'generating_samples', 'pending_user_feedback', "
             "'processing_feedback', 'confirmed', 'failed', 'stopped_budget')")
TABLES = ('runs', 'seo_crawls')


def _recheck(table: str, was: str, check: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f(f'ck_{table}_status'), table, type_='check')
        op.create_check_constraint(op.f(f'ck_{table}_status'), table, check)
        return
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    bind.execute(text("UPDATE sqlite_master SET sql = replace(sql, :was, :now) "
                      "WHERE type = 'table' AND name = :table"),
                 {'was': was, 'now': check, 'table': table})
    bind.exec_driver_sql(f'PRAGMA schema_version={int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')
    sql = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :t"),
                       {'t': table}).scalar()
    if check not in (sql or ''):
        raise RuntimeError(f'{table}: its status check is not {was!r}; not migrated')


def upgrade() -> None:
    for table in TABLES:
        _recheck(table, OLD, NEW)
    _recheck('builds', OLD_BUILD, NEW_BUILD)


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET status = 'canceled' "
                   "WHERE status IN ('stopped_budget', 'stopped_cap')")
        _recheck(table, NEW, OLD)
    op.execute("UPDATE builds SET status = 'failed' WHERE status = 'stopped_budget'")
    _recheck('builds', NEW_BUILD, OLD_BUILD)
