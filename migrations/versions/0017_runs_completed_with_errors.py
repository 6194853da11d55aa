"""runs completed with errors: a run that lost some of its URLs is no longer "completed"

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 12:30:00

``WorkStatus`` gains ``completed_errors``; the two tables whose ``status`` holds any
``WorkStatus`` (``runs`` and ``seo_crawls``) get the wider check constraint. SEO audits keep
theirs (``AUDIT_STATUSES``). Downgrade turns such rows back into ``completed``.

SQLite: not batch mode. Batch mode rebuilds a table (copy, drop, rename), and with foreign keys
on, dropping ``runs`` deletes every row that references it with ON DELETE CASCADE (results,
run events, per-URL outcomes). Only the text of a CHECK constraint changes, which touches no
stored row, so the table's SQL is edited in the schema (``writable_schema``) and the schema
version bumped, as SQLite documents for such changes.
"""
from __future__ import annotations

from alembic import op
from sqlalchemy import text


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

OLD = "status IN ('queued', 'running', 'completed', 'failed', 'canceled')"
NEW = "status IN ('queued', 'running', 'completed', 'completed_errors', 'failed', 'canceled')"
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


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"UPDATE {table} SET status = 'completed' WHERE status = 'completed_errors'")
        _recheck(table, NEW, OLD)
