"""the architecture advisor (seed 003): queries, provider runs and their iterations

Eight tables (``advisor_*``) and a fifth kind of workflow in ``run_events`` and
``workflow_node_states``: ``provider_run_id`` (exactly one workflow column per row, as before).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 11:50:16.830634
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import db.types
from sqlalchemy.dialects import postgresql

OLD_COLUMNS = ('run_id', 'build_id', 'crawl_id', 'report_id')
NEW_COLUMNS = (*OLD_COLUMNS, 'provider_run_id')


def _one_workflow(columns: tuple[str, ...]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NULL THEN 0 ELSE 1 END)" for c in columns) + " = 1"

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('advisor_queries',
    sa.Column('owner_id', sa.Uuid(), nullable=False),
    sa.Column('raw_text', sa.Text(), nullable=False),
    sa.Column('provider_scope', sa.String(length=10), nullable=False),
    sa.Column('constraints', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('optimization_preferences', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("provider_scope IN ('aws', 'azure', 'both')", name=op.f('ck_advisor_queries_provider_scope')),
    sa.CheckConstraint('length(trim(raw_text)) > 0', name=op.f('ck_advisor_queries_raw_text_not_empty')),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_advisor_queries_owner_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_queries'))
    )
    with op.batch_alter_table('advisor_queries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_queries_owner_id'), ['owner_id'], unique=False)

    op.create_table('advisor_provider_runs',
    sa.Column('query_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('iteration_count', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Boolean(), nullable=False),
    sa.Column('terminal_reason', sa.String(length=30), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('started_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deadline_seconds', sa.Double(), nullable=False),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('heartbeat_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_requested', sa.Boolean(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("accepted = (status = 'accepted')", name=op.f('ck_advisor_provider_runs_accepted_status')),
    sa.CheckConstraint("provider IN ('aws', 'azure')", name=op.f('ck_advisor_provider_runs_provider')),
    sa.CheckConstraint("status IN ('queued', 'generating', 'validating', 'optimizing', 'accepted', 'stopped', 'failed')", name=op.f('ck_advisor_provider_runs_status')),
    sa.CheckConstraint("terminal_reason IS NULL OR terminal_reason IN ('accepted', 'iteration_limit', 'evidence_unavailable', 'domain_failure', 'timeout', 'canceled', 'worker_lost')", name=op.f('ck_advisor_provider_runs_terminal_reason')),
    sa.CheckConstraint('iteration_count >= 0 AND iteration_count <= 3', name=op.f('ck_advisor_provider_runs_iteration_range')),
    sa.ForeignKeyConstraint(['query_id'], ['advisor_queries.id'], name=op.f('fk_advisor_provider_runs_query_id_advisor_queries'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_provider_runs')),
    sa.UniqueConstraint('query_id', 'provider', name=op.f('uq_advisor_provider_runs_query_id_provider'))
    )
    with op.batch_alter_table('advisor_provider_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_provider_runs_query_id'), ['query_id'], unique=False)
        batch_op.create_index('ix_advisor_provider_runs_status_created_at', ['status', 'created_at'], unique=False)

    op.create_table('advisor_architecture_proposals',
    sa.Column('provider_run_id', sa.Uuid(), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('combined_design', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('cross_domain_assumptions', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('synthesis_status', sa.String(length=20), nullable=False),
    sa.Column('partial', sa.Boolean(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("synthesis_status IN ('draft', 'coherent', 'conflict_detected')", name=op.f('ck_advisor_architecture_proposals_synthesis_status')),
    sa.ForeignKeyConstraint(['provider_run_id'], ['advisor_provider_runs.id'], name=op.f('fk_advisor_architecture_proposals_provider_run_id_advisor_provider_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_architecture_proposals')),
    sa.UniqueConstraint('provider_run_id', 'iteration', name=op.f('uq_advisor_architecture_proposals_provider_run_id_iteration'))
    )
    with op.batch_alter_table('advisor_architecture_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_architecture_proposals_provider_run_id'), ['provider_run_id'], unique=False)

    op.create_table('advisor_domain_proposals',
    sa.Column('provider_run_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('proposal_content', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=False),
    sa.Column('dependencies', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("domain IN ('compute', 'storage', 'network', 'database')", name=op.f('ck_advisor_domain_proposals_domain')),
    sa.ForeignKeyConstraint(['provider_run_id'], ['advisor_provider_runs.id'], name=op.f('fk_advisor_domain_proposals_provider_run_id_advisor_provider_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_domain_proposals')),
    sa.UniqueConstraint('provider_run_id', 'domain', 'iteration', name=op.f('uq_advisor_domain_proposals_provider_run_id_domain_iteration'))
    )
    with op.batch_alter_table('advisor_domain_proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_domain_proposals_provider_run_id'), ['provider_run_id'], unique=False)

    op.create_table('advisor_domain_tasks',
    sa.Column('provider_run_id', sa.Uuid(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('task_status', sa.String(length=20), nullable=False),
    sa.Column('started_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('completed_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("domain IN ('compute', 'storage', 'network', 'database')", name=op.f('ck_advisor_domain_tasks_domain')),
    sa.CheckConstraint("task_status IN ('pending', 'running', 'completed', 'failed')", name=op.f('ck_advisor_domain_tasks_task_status')),
    sa.ForeignKeyConstraint(['provider_run_id'], ['advisor_provider_runs.id'], name=op.f('fk_advisor_domain_tasks_provider_run_id_advisor_provider_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_domain_tasks')),
    sa.UniqueConstraint('provider_run_id', 'domain', 'iteration', name=op.f('uq_advisor_domain_tasks_provider_run_id_domain_iteration'))
    )
    with op.batch_alter_table('advisor_domain_tasks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_domain_tasks_provider_run_id'), ['provider_run_id'], unique=False)

    op.create_table('advisor_feedback',
    sa.Column('provider_run_id', sa.Uuid(), nullable=False),
    sa.Column('iteration_from', sa.Integer(), nullable=False),
    sa.Column('target_domains', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('instructions', sa.Text(), nullable=False),
    sa.Column('blocking_issues', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['provider_run_id'], ['advisor_provider_runs.id'], name=op.f('fk_advisor_feedback_provider_run_id_advisor_provider_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_feedback')),
    sa.UniqueConstraint('provider_run_id', 'iteration_from', name=op.f('uq_advisor_feedback_provider_run_id_iteration_from'))
    )
    with op.batch_alter_table('advisor_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_feedback_provider_run_id'), ['provider_run_id'], unique=False)

    op.create_table('advisor_findings',
    sa.Column('provider_run_id', sa.Uuid(), nullable=False),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('domain', sa.String(length=20), nullable=False),
    sa.Column('check', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=10), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('remediation', sa.Text(), nullable=True),
    sa.Column('evidence_required', sa.Boolean(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("domain IN ('compute', 'storage', 'network', 'database', 'cross_domain')", name=op.f('ck_advisor_findings_domain')),
    sa.CheckConstraint("outcome <> 'fail' OR length(trim(coalesce(remediation, ''))) > 0", name=op.f('ck_advisor_findings_fail_has_remediation')),
    sa.CheckConstraint("outcome IN ('pass', 'fail', 'warn')", name=op.f('ck_advisor_findings_outcome')),
    sa.CheckConstraint("severity IN ('critical', 'high', 'medium', 'low')", name=op.f('ck_advisor_findings_severity')),
    sa.ForeignKeyConstraint(['provider_run_id'], ['advisor_provider_runs.id'], name=op.f('fk_advisor_findings_provider_run_id_advisor_provider_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_findings'))
    )
    with op.batch_alter_table('advisor_findings', schema=None) as batch_op:
        batch_op.create_index('ix_advisor_findings_provider_run_id_iteration', ['provider_run_id', 'iteration'], unique=False)

    op.create_table('advisor_evidence',
    sa.Column('finding_id', sa.Uuid(), nullable=False),
    sa.Column('provider', sa.String(length=10), nullable=False),
    sa.Column('source_type', sa.String(length=20), nullable=False),
    sa.Column('source_uri', sa.Text(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('excerpt', sa.Text(), nullable=False),
    sa.Column('retrieved_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('availability_status', sa.String(length=20), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint("availability_status IN ('available', 'unavailable')", name=op.f('ck_advisor_evidence_availability_status')),
    sa.CheckConstraint("provider IN ('aws', 'azure')", name=op.f('ck_advisor_evidence_provider')),
    sa.CheckConstraint("source_type IN ('official_doc')", name=op.f('ck_advisor_evidence_source_type')),
    sa.ForeignKeyConstraint(['finding_id'], ['advisor_findings.id'], name=op.f('fk_advisor_evidence_finding_id_advisor_findings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_advisor_evidence'))
    )
    with op.batch_alter_table('advisor_evidence', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_advisor_evidence_finding_id'), ['finding_id'], unique=False)

    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_run_id', sa.Uuid(), nullable=True))
        batch_op.create_index('ix_run_events_provider_run_id_occurred_at', ['provider_run_id', 'occurred_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_run_events_provider_run_id_advisor_provider_runs'), 'advisor_provider_runs', ['provider_run_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('ck_run_events_one_workflow'), type_='check')
        batch_op.create_check_constraint('one_workflow', _one_workflow(NEW_COLUMNS))

    with op.batch_alter_table('workflow_node_states', schema=None) as batch_op:
        batch_op.add_column(sa.Column('provider_run_id', sa.Uuid(), nullable=True))
        batch_op.create_index('uq_workflow_node_states_provider_run_id_node_id', ['provider_run_id', 'node_id'], unique=True)
        batch_op.create_foreign_key(batch_op.f('fk_workflow_node_states_provider_run_id_advisor_provider_runs'), 'advisor_provider_runs', ['provider_run_id'], ['id'], ondelete='CASCADE')
        batch_op.drop_constraint(batch_op.f('ck_workflow_node_states_one_workflow'), type_='check')
        batch_op.create_check_constraint('one_workflow', _one_workflow(NEW_COLUMNS))



def downgrade() -> None:
    op.execute("DELETE FROM workflow_node_states WHERE provider_run_id IS NOT NULL")
    with op.batch_alter_table('workflow_node_states', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_workflow_node_states_one_workflow'), type_='check')
        batch_op.create_check_constraint('one_workflow', _one_workflow(OLD_COLUMNS))
        batch_op.drop_constraint(batch_op.f('fk_workflow_node_states_provider_run_id_advisor_provider_runs'), type_='foreignkey')
        batch_op.drop_index('uq_workflow_node_states_provider_run_id_node_id')
        batch_op.drop_column('provider_run_id')

    op.execute("DELETE FROM run_events WHERE provider_run_id IS NOT NULL")
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_run_events_one_workflow'), type_='check')
        batch_op.create_check_constraint('one_workflow', _one_workflow(OLD_COLUMNS))
        batch_op.drop_constraint(batch_op.f('fk_run_events_provider_run_id_advisor_provider_runs'), type_='foreignkey')
        batch_op.drop_index('ix_run_events_provider_run_id_occurred_at')
        batch_op.drop_column('provider_run_id')

    with op.batch_alter_table('advisor_evidence', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_evidence_finding_id'))

    op.drop_table('advisor_evidence')
    with op.batch_alter_table('advisor_findings', schema=None) as batch_op:
        batch_op.drop_index('ix_advisor_findings_provider_run_id_iteration')

    op.drop_table('advisor_findings')
    with op.batch_alter_table('advisor_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_feedback_provider_run_id'))

    op.drop_table('advisor_feedback')
    with op.batch_alter_table('advisor_domain_tasks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_domain_tasks_provider_run_id'))

    op.drop_table('advisor_domain_tasks')
    with op.batch_alter_table('advisor_domain_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_domain_proposals_provider_run_id'))

    op.drop_table('advisor_domain_proposals')
    with op.batch_alter_table('advisor_architecture_proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_architecture_proposals_provider_run_id'))

    op.drop_table('advisor_architecture_proposals')
    with op.batch_alter_table('advisor_provider_runs', schema=None) as batch_op:
        batch_op.drop_index('ix_advisor_provider_runs_status_created_at')
        batch_op.drop_index(batch_op.f('ix_advisor_provider_runs_query_id'))

    op.drop_table('advisor_provider_runs')
    with op.batch_alter_table('advisor_queries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_advisor_queries_owner_id'))

    op.drop_table('advisor_queries')
