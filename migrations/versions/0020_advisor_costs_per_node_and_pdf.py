"""advisor: model costs per provider run and workflow node; the PDF export of a query

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 14:10:00

``cost_events`` gains ``advisor_run_id`` (the provider run a model call was made for; SET NULL
when the run goes, so the cost stays in the ledger) and ``node`` (the workflow node that made
it). ``advisor_pdfs`` holds the state of a query's PDF export, printed by a worker.

SQLite: not batch mode (rebuilding ``cost_events`` would copy the whole ledger). The column is
added, then its named foreign key is appended to the table's SQL in the schema
(``writable_schema``, as 0017 does; the new column holds only NULLs, so no stored row is
affected) and the schema version bumped. PostgreSQL gets the column and the constraint.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

import db.types

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


FK = ('CONSTRAINT fk_cost_events_advisor_run_id_advisor_provider_runs FOREIGN KEY'
      '(advisor_run_id) REFERENCES advisor_provider_runs (id) ON DELETE SET NULL')


def _sqlite_add_fk(bind: sa.engine.Connection) -> None:
    sql = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'cost_events'")).scalar()
    assert sql is not None and sql.rstrip().endswith(')')
    _sqlite_set_sql(bind, sql.rstrip()[:-1].rstrip() + ', \n\t' + FK + '\n)')


def _sqlite_drop_fk(bind: sa.engine.Connection) -> None:
    """Take the constraint out again: SQLite will not drop a column a foreign key names."""
    sql = bind.execute(text("SELECT sql FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'cost_events'")).scalar()
    assert sql is not None and FK in sql
    _sqlite_set_sql(bind, sql.replace(', \n\t' + FK, ''))


def _sqlite_set_sql(bind: sa.engine.Connection, new: str) -> None:
    version = bind.exec_driver_sql('PRAGMA schema_version').scalar()
    bind.exec_driver_sql('PRAGMA writable_schema=ON')
    bind.execute(text("UPDATE sqlite_master SET sql = :sql WHERE type = 'table' "
                      "AND name = 'cost_events'"), {'sql': new})
    bind.exec_driver_sql(f'PRAGMA schema_version={int(version) + 1}')
    bind.exec_driver_sql('PRAGMA writable_schema=OFF')


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        op.execute('ALTER TABLE cost_events ADD COLUMN advisor_run_id CHAR(32)')
        _sqlite_add_fk(bind)
    else:
        op.add_column('cost_events', sa.Column('advisor_run_id', sa.Uuid(), nullable=True))
        op.create_foreign_key(op.f('fk_cost_events_advisor_run_id_advisor_provider_runs'),
                              'cost_events', 'advisor_provider_runs', ['advisor_run_id'],
                              ['id'], ondelete='SET NULL')
    op.add_column('cost_events', sa.Column('node', sa.String(length=40), nullable=True))
    op.create_index(op.f('ix_cost_events_advisor_run_id'), 'cost_events', ['advisor_run_id'],
                    unique=False)
    op.create_table('advisor_pdfs',
    sa.Column('query_id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('requested_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("status IN ('processing', 'completed', 'failed')",
                       name=op.f('ck_advisor_pdfs_status')),
    sa.ForeignKeyConstraint(['query_id'], ['advisor_queries.id'],
                            name=op.f('fk_advisor_pdfs_query_id_advisor_queries'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_pdfs')),
    sa.UniqueConstraint('query_id', name=op.f('uq_advisor_pdfs_query_id'))
    )


def downgrade() -> None:
    op.drop_table('advisor_pdfs')
    op.drop_index(op.f('ix_cost_events_advisor_run_id'), table_name='cost_events')
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _sqlite_drop_fk(bind)
    else:
        op.drop_constraint(op.f('fk_cost_events_advisor_run_id_advisor_provider_runs'),
                           'cost_events', type_='foreignkey')
    op.drop_column('cost_events', 'node')
    op.drop_column('cost_events', 'advisor_run_id')
