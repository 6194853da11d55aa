"""builds and knowledge base

Builds, their iterations, the knowledge base and objective embeddings; build events share the
run-event timeline (``run_events.run_id`` becomes optional, one of run/build is set) and model
costs are recorded per build (``cost_events.build_id``).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 05:10:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import db.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('objective_embeddings',
    sa.Column('text_source', sa.Text(), nullable=False),
    sa.Column('embedding_vector', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('method', sa.String(length=60), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objective_embeddings'))
    )
    op.create_table('builds',
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('user_objective', sa.Text(), nullable=False),
    sa.Column('initial_target_urls', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('uploaded_samples', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sample_pages', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('temporary_config_package', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('final_config_package', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('package_results', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('output_schema', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('notes', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('error_message', sa.Text(), nullable=True),
    sa.Column('iteration', sa.Integer(), nullable=False),
    sa.Column('pending_feedback', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('started_from_entry_id', sa.Uuid(), nullable=True),
    sa.Column('schema_id', sa.Uuid(), nullable=True),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('worker_id', sa.String(length=200), nullable=True),
    sa.Column('heartbeat_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('confirmed_at', db.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending_analysis', 'generating_samples', 'pending_user_feedback', 'processing_feedback', 'confirmed', 'failed')", name=op.f('ck_builds_status')),
    sa.ForeignKeyConstraint(['job_id'], ['scraping_jobs.id'], name=op.f('fk_builds_job_id_scraping_jobs'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['schema_id'], ['extractor_schemas.id'], name=op.f('fk_builds_schema_id_extractor_schemas'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_builds_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_builds'))
    )
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.create_index('ix_builds_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_builds_user_id'), ['user_id'], unique=False)

    op.create_table('build_iterations',
    sa.Column('build_id', sa.Uuid(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('package', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('output_schema', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('sample_report', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('change_summary', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['build_id'], ['builds.id'], name=op.f('fk_build_iterations_build_id_builds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_build_iterations')),
    sa.UniqueConstraint('build_id', 'number', name=op.f('uq_build_iterations_build_id_number'))
    )
    with op.batch_alter_table('build_iterations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_build_iterations_build_id'), ['build_id'], unique=False)

    op.create_table('knowledge_base_entries',
    sa.Column('source_build_id', sa.Uuid(), nullable=True),
    sa.Column('user_id', sa.Uuid(), nullable=False),
    sa.Column('platform_identifiers', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('output_schema_hash', sa.String(length=64), nullable=False),
    sa.Column('objective_embedding_id', sa.Uuid(), nullable=True),
    sa.Column('objective', sa.Text(), nullable=False),
    sa.Column('config_package', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('output_schema', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('usage_count', sa.Integer(), nullable=False),
    sa.Column('is_public', sa.Boolean(), nullable=False),
    sa.Column('created_at', db.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['objective_embedding_id'], ['objective_embeddings.id'], name=op.f('fk_knowledge_base_entries_objective_embedding_id_objective_embeddings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['source_build_id'], ['builds.id'], name=op.f('fk_knowledge_base_entries_source_build_id_builds'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_knowledge_base_entries_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_base_entries'))
    )
    with op.batch_alter_table('knowledge_base_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_knowledge_base_entries_output_schema_hash'), ['output_schema_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_base_entries_source_build_id'), ['source_build_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_knowledge_base_entries_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('build_id', sa.Uuid(), nullable=True))
        batch_op.create_index(batch_op.f('ix_cost_events_build_id'), ['build_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_cost_events_build_id_builds'), 'builds', ['build_id'], ['id'], ondelete='SET NULL')

    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('build_id', sa.Uuid(), nullable=True))
        batch_op.alter_column('run_id',
               existing_type=sa.Uuid(),
               nullable=True)
        batch_op.create_index('ix_run_events_build_id_occurred_at', ['build_id', 'occurred_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_run_events_build_id_builds'), 'builds', ['build_id'], ['id'], ondelete='CASCADE')
        batch_op.create_check_constraint(
            'run_or_build', 'run_id IS NOT NULL OR build_id IS NOT NULL')


def downgrade() -> None:
    # Build-only events cannot survive a NOT NULL run_id.
    op.execute("DELETE FROM run_events WHERE run_id IS NULL")
    with op.batch_alter_table('run_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_run_events_run_or_build'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_run_events_build_id_builds'), type_='foreignkey')
        batch_op.drop_index('ix_run_events_build_id_occurred_at')
        batch_op.alter_column('run_id',
               existing_type=sa.Uuid(),
               nullable=False)
        batch_op.drop_column('build_id')

    with op.batch_alter_table('cost_events', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_cost_events_build_id_builds'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_cost_events_build_id'))
        batch_op.drop_column('build_id')

    with op.batch_alter_table('knowledge_base_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_knowledge_base_entries_user_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_base_entries_source_build_id'))
        batch_op.drop_index(batch_op.f('ix_knowledge_base_entries_output_schema_hash'))

    op.drop_table('knowledge_base_entries')
    with op.batch_alter_table('build_iterations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_build_iterations_build_id'))

    op.drop_table('build_iterations')
    with op.batch_alter_table('builds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_builds_user_id'))
        batch_op.drop_index('ix_builds_status_created_at')

    op.drop_table('builds')
    op.drop_table('objective_embeddings')
