"""runs.build_id: a run started from a confirmed build keeps the build as a real column

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05 14:00:00

Runs started by ``builds run`` kept the build only in ``runs.metadata.build_id``; the column is
filled from there (a build deleted since then leaves it NULL), and a deleted build later sets it
to NULL (ON DELETE SET NULL).

SQLite: not batch mode. Batch mode rebuilds ``runs`` (copy, drop, rename), and with foreign keys
on, dropping it deletes every row that references it with ON DELETE CASCADE (results, run
events, per-URL outcomes). The column is added with ``ALTER TABLE ... ADD COLUMN``; its named
foreign key is written into the table's SQL (``writable_schema``, schema version bumped, as
0017 does for a check): a foreign key is only checked when rows change, so no stored row is
touched, and the name reads back as the models' naming convention gives it.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text


revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

FK = ('CONSTRAINT fk_runs_build_id_builds FOREIGN KEY(build_id) REFERENCES builds (id) '
      'ON DELETE SET NULL')


def _edit_runs_sql(edit) -> None:  # type: ignore[no-untyped-def]
    bind = op.get_bind()
    sql = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' AND "
                            "name = 'runs'")).scalar()
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    bind.execute(text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' AND "
                      "name = 'runs'"), {'sql': edit(sql)})
    bind.exec_driver_sql(f'PRAGMA schema_version={int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE runs ADD COLUMN build_id CHAR(32)')
        end = ')'
        _edit_runs_sql(lambda sql: sql[:sql.rindex(end)].rstrip() + f', \n\t{FK}\n{end}')
        op.execute("UPDATE runs SET build_id = (SELECT b.id FROM builds b "
                   "WHERE b.id = replace(json_extract(runs.metadata, '$.build_id'), '-', '')) "
                   "WHERE json_extract(runs.metadata, '$.build_id') IS NOT NULL")
    else:
        op.add_column('runs', sa.Column('build_id', sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f('fk_runs_build_id_builds'), 'runs', 'builds', ['build_id'],
                              ['id'], ondelete='SET NULL')
        op.execute("UPDATE runs SET build_id = b.id FROM builds b "
                   "WHERE runs.metadata ->> 'build_id' = b.id::text")
    op.create_index(op.f('ix_runs_build_id'), 'runs', ['build_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_runs_build_id'), table_name='runs')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _edit_runs_sql(lambda sql: sql.replace(f', \n\t{FK}', ''))
        op.execute('ALTER TABLE runs DROP COLUMN build_id')
    else:
        op.drop_constraint(op.f('fk_runs_build_id_builds'), 'runs', type_='foreignkey')
        op.drop_column('runs', 'build_id')
