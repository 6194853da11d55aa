"""agent jobs on the timeline: run_events and workflow_node_states gain agent_job_id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05 11:55:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None

# As of this revision (a migration never reads the models: they move on).
BEFORE = ('run_id', 'build_id', 'crawl_id', 'report_id', 'provider_run_id')
AFTER = (*BEFORE, 'agent_job_id')
TABLES = ('run_events', 'workflow_node_states')


def _one_workflow(columns: tuple[str, ...]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in columns) + " = 1"


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('agent_job_id', sa.Uuid(), nullable=True))
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_agent_job_id_agent_jobs'),
                                        'agent_jobs', ['agent_job_id'], ['id'],
                                        ondelete='CASCADE')
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_one_workflow'), type_='check')
            batch_op.create_check_constraint('one_workflow', _one_workflow(AFTER))
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.create_index('ix_run_events_agent_job_id_occurred_at',
                              ['agent_job_id', 'occurred_at'], unique=False)
    with op.batch_alter_table('workflow_node_states', schema=None) as batch_op:
        batch_op.create_index('uq_workflow_node_states_agent_job_id_node_id',
                              ['agent_job_id', 'node_id'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('workflow_node_states', schema=None) as batch_op:
        batch_op.drop_index('uq_workflow_node_states_agent_job_id_node_id')
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.drop_index('ix_run_events_agent_job_id_occurred_at')
    for table in TABLES:
        op.execute(f"DELETE FROM {table} WHERE agent_job_id IS NOT NULL")
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'ck_{table}_one_workflow'), type_='check')
            batch_op.create_check_constraint('one_workflow', _one_workflow(BEFORE))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_agent_job_id_agent_jobs'),
                                     type_='foreignkey')
            batch_op.drop_column('agent_job_id')
